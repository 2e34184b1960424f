import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startTestCluster, type TestCluster } from '@dist-exec/testing';

const MiB = 1024 * 1024;
let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startTestCluster({ master: { outputLimitBytes: MiB } });
});

afterAll(async () => {
  await cluster?.stop();
});

describe('output over the limit', () => {
  it(
    'keeps the head and the tail, marks the cut, and run, logs and status --json say so',
    { timeout: 60_000 },
    async () => {
      const env = { DIST_EXEC_MASTER: cluster.address, DIST_EXEC_TOKEN: cluster.adminToken };
      // 620,000 lines of 17 bytes: 10.5 MB, then the line that says what went wrong.
      const command = "yes 'some output line' | head -n 620000; echo FINAL-LINE";
      const run = await runCli(['run', command], env);
      expect(run.code).toBe(0);
      expect(run.stdout.length).toBeLessThan(MiB + 1024);
      expect(run.stderr).toMatch(/went over its output limit: 9\.\d+Mi of stdout dropped from the middle/);
      const text = run.stdout.toString();
      expect(text.startsWith('some output line\n')).toBe(true);
      expect(text.endsWith('some output line\nFINAL-LINE\n')).toBe(true);
      const marker =
        /\n\[dist-exec: (\d+) bytes of stdout dropped here: over the output limit \(1048576 bytes\)[^\n]*\]\n/.exec(
          text,
        );
      expect(marker).not.toBeNull();

      const {
        jobs: [job],
      } = await cluster.client.listJobs({});
      const id = job!.id;
      const logs = await runCli(['logs', id], env);
      expect(logs.code).toBe(0);
      expect(logs.stdout.equals(run.stdout)).toBe(true);
      expect(logs.stderr).toMatch(/dropped from the middle/);

      const status = await runCli(['status', id, '--json'], env);
      const json = JSON.parse(status.stdout.toString()) as { stdoutDroppedBytes: number; outputLength: number };
      expect(json.stdoutDroppedBytes).toBe(Number(marker![1]));
      // Everything the job wrote is either kept or counted as dropped.
      const kept = text.length - marker![0].length;
      expect(kept + json.stdoutDroppedBytes).toBe(620_000 * 17 + 'FINAL-LINE\n'.length);
    },
  );
});
