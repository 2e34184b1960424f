import { afterEach, describe, expect, it } from 'vitest';
import { DistExecClient } from '@dist-exec/client';
import {
  runCli,
  startMasterProcess,
  startProgram,
  startWorkerProcess,
  until,
  type MasterProcess,
  type RunningProgram,
} from '@dist-exec/testing';

/**
 * Heartbeat settings that cannot fight, with a real master and worker: a
 * worker told to heartbeat every 8 s against a master that calls a node
 * UNHEALTHY after 3 s of silence warns and heartbeats every second instead,
 * so its node never flaps and a job on it is never taken away (before, the
 * node flapped 10 times a minute and a job with retries ended FAILED
 * WORKER_LOST on a worker that never died). A node that does flap (stopped
 * for longer than the timeout, then heartbeating again) shows in `nodes`.
 */

const programs: RunningProgram[] = [];
const clients: DistExecClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  for (const program of programs.splice(0).reverse()) {
    program.kill('SIGCONT');
    program.kill('SIGKILL');
    await program.exited;
  }
});

function cli(master: MasterProcess, args: string[]) {
  return runCli(args, { DIST_EXEC_MASTER: master.address, DIST_EXEC_TOKEN_FILE: master.tokenFile });
}

describe('heartbeat settings', () => {
  it(
    'a worker at --heartbeat-interval 8s against a 3 s timeout warns and uses 1 s: no flap, a 10 s job completes on its first attempt',
    { timeout: 120_000 },
    async () => {
      const master = await startMasterProcess(['--heartbeat-interval', '1s', '--heartbeat-timeout', '3s']);
      programs.push(master);
      const worker = await startWorkerProcess(master, ['--id', 'slow', '--heartbeat-interval', '8s']);
      programs.push(worker);
      const warning = worker.logs.find((entry) =>
        /more than a third of the master's heartbeat timeout/.test(String(entry.msg)),
      );
      expect(warning).toMatchObject({ heartbeatIntervalMs: 8000, masterHeartbeatTimeoutMs: 3000, usingMs: 1000 });

      const client = new DistExecClient({ address: master.address, token: master.token });
      clients.push(client);
      // Longer than the 8 s interval asked for: with it, the node would go UNHEALTHY and the job be rescheduled.
      const { job } = await client.submit({ command: 'sleep 10; echo done', maxRetries: 2 });
      const done = await client.waitForJob(job.id);
      expect(done).toMatchObject({ state: 'COMPLETED', attempts: 1 });
      const nodes = JSON.parse((await cli(master, ['nodes', '--json'])).stdout.toString()) as unknown[];
      expect(nodes).toEqual([expect.objectContaining({ id: 'slow', state: 'HEALTHY', recentFlaps: 0 })]);

      // Now make it flap for real: stopped past the timeout, then heartbeating again.
      worker.kill('SIGSTOP');
      await until(async () => (await client.listNodes())[0]?.state === 'UNHEALTHY', {
        message: 'the node to go UNHEALTHY',
      });
      worker.kill('SIGCONT');
      await until(async () => (await client.listNodes())[0]?.state === 'HEALTHY', { message: 'the node to come back' });
      const flapped = JSON.parse((await cli(master, ['nodes', '--json'])).stdout.toString()) as unknown[];
      expect(flapped).toEqual([expect.objectContaining({ id: 'slow', state: 'HEALTHY', recentFlaps: 1 })]);
      const table = await cli(master, ['nodes']);
      expect(table.stdout.toString()).toMatch(/^! slow flapped 1 time in the last 10m .*--heartbeat-timeout$/m);
    },
  );

  it('refuses a heartbeat interval under 100 ms on both sides, in one line', async () => {
    const master = startProgram('master', ['--store', 'memory', '--heartbeat-interval', '1ms', '--port', '0']);
    programs.push(master);
    const worker = startProgram('worker', ['--master', '127.0.0.1:1', '--heartbeat-interval', '50ms', '--port', '0'], {
      DIST_EXEC_TOKEN: `dxt_${'a'.repeat(43)}`, // well formed: the flags are checked after it
    });
    programs.push(worker);
    expect((await master.exited).code).not.toBe(0);
    expect((await worker.exited).code).not.toBe(0);
    const said = (p: RunningProgram): string => p.logs.map((entry) => String(entry.msg)).join('\n');
    expect(said(master)).toMatch(/--heartbeat-interval: 1ms is too short; use 100ms or more/);
    expect(said(worker)).toMatch(/--heartbeat-interval: 50ms is too short; use 100ms or more/);
  });
});
