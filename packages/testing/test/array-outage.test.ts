import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DistExecClient } from '@dist-exec/client';
import {
  freePort,
  PROGRAMS,
  runCli,
  startMasterProcess,
  tempDir,
  type MasterProcess,
  type RunningProgram,
} from '@dist-exec/testing';

/**
 * A partial array never surprises: `run --array` without a key derives one,
 * keeps it and prints it before the first job goes; when the master is away
 * longer than --retry-window (the 80 s outage, made 2 s by the flag)
 * it says how many jobs are stored and prints the exact command that
 * finishes the submit, and that command creates the missing jobs and no
 * duplicate (before: 0 ids printed, and running it again made 8,000 jobs of 5,000).
 */

const JOBS = 5000;
const programs: RunningProgram[] = [];
const clients: DistExecClient[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  for (const program of programs.splice(0)) {
    program.kill('SIGKILL');
    await program.exited;
  }
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function master(port: number, dataDir: string): Promise<MasterProcess> {
  const program = await startMasterProcess(['--store', 'sqlite', '--data-dir', dataDir, '--port', String(port)]);
  programs.push(program);
  return program;
}

describe('run --array across a master outage longer than --retry-window', () => {
  it(
    'says how many jobs are stored and prints the command that finishes without duplicates',
    { timeout: 240_000 },
    async () => {
      const port = await freePort();
      const dataDir = join(tempDir(), 'data');
      const stateDir = tempDir('dist-exec-cli-state-');
      dirs.push(dataDir.replace(/\/data$/, ''), stateDir);
      const first = await master(port, dataDir);
      const env = { DIST_EXEC_MASTER: first.address, DIST_EXEC_TOKEN_FILE: first.tokenFile, XDG_STATE_HOME: stateDir };
      const client = new DistExecClient({ address: first.address, token: first.token, retry: { retries: 0 } });
      clients.push(client);

      const args = ['run', '--array', `1-${JOBS}`, '--detach', '--retry-window', '2s', 'true'];
      const cli = spawn(process.execPath, [PROGRAMS.cli, ...args], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, ...env },
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      cli.stdout.on('data', (d: Buffer) => out.push(d));
      cli.stderr.on('data', (d: Buffer) => err.push(d));
      const closed = new Promise<number | null>((resolve) => cli.once('close', resolve));
      // Once the first chunk of a thousand is stored the CLI is held (so that it cannot send every chunk before
      // the master goes), the master goes away, and stays away past the window.
      let stored = 0;
      for (const end = Date.now() + 120_000; stored < 1000 && Date.now() < end;) {
        stored = await client.listJobs({ pageSize: 1 }).then(
          (page) => page.totalCount,
          () => 0,
        );
      }
      cli.kill('SIGSTOP');
      first.kill('SIGKILL');
      await first.exited;
      cli.kill('SIGCONT');
      const result = { code: await closed, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString() };
      expect(result.code).toBe(125);
      const key = /^dist-exec: array key ([0-9a-f-]{36}) \(kept in (\S+)\);/m.exec(result.stderr);
      expect(key, result.stderr).not.toBeNull();
      const [, arrayKey, keptIn] = key as unknown as [string, string, string];
      expect(keptIn).toBe(join(stateDir, 'dist-exec', 'arrays.log'));
      expect(readFileSync(keptIn, 'utf8')).toContain(`"key":"${arrayKey}"`);
      // The first chunk's answer can be lost with the master (stored, but never acknowledged): then the CLI
      // says so, and the count it prints is still exactly the ids it printed.
      const said =
        /gave up after --retry-window 2s: (\d+) of 5000 jobs are stored(?:, and the (\d+) of the chunk whose answer was lost may be too)?[^\n]*\n {2}(dist-exec [^\n]+)\n/.exec(
          result.stderr,
        );
      expect(said, result.stderr).not.toBeNull();
      const [, count, unanswered = '0', command] = said as unknown as [string, string, string | undefined, string];
      expect(command).toBe(
        `dist-exec run --idempotency-key ${arrayKey} --array 1-${JOBS} --detach --retry-window 2s true`,
      );
      const acknowledged = result.stdout.toString().split('\n').filter(Boolean);
      expect(acknowledged).toHaveLength(Number(count));
      expect(Number(count) + Number(unanswered)).toBeGreaterThanOrEqual(1000);
      expect(Number(count)).toBeLessThan(JOBS);

      // The master back on the same data dir: what the CLI said is stored is what is stored.
      const again = await master(port, dataDir);
      expect(existsSync(again.tokenFile)).toBe(true);
      const after = new DistExecClient({ address: again.address, token: again.token });
      clients.push(after);
      const storedAfter = (await after.listJobs({ pageSize: 1 })).totalCount;
      expect(storedAfter).toBeGreaterThanOrEqual(Number(count));
      expect(storedAfter).toBeLessThanOrEqual(Number(count) + Number(unanswered));
      // The printed command, as printed.
      const finish = await runCli(command.split(' ').slice(1), env);
      expect(finish.code, finish.stderr).toBe(0);
      const ids = finish.stdout.toString().split('\n').filter(Boolean);
      expect(ids).toHaveLength(JOBS);
      expect(ids.slice(0, acknowledged.length)).toEqual(acknowledged);
      expect((await after.listJobs({ pageSize: 1 })).totalCount).toBe(JOBS);
      expect(new Set(ids).size).toBe(JOBS);
      console.log(
        `[measure] array outage: ${count} of ${JOBS} jobs acknowledged, ${unanswered} unanswered, before the master went away`,
      );
    },
  );
});
