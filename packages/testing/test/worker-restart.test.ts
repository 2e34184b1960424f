import { afterEach, describe, expect, it } from 'vitest';
import { DistExecClient } from '@dist-exec/client';
import {
  freePort,
  startMasterProcess,
  startWorkerProcess,
  tempDir,
  until,
  type RunningProgram,
} from '@dist-exec/testing';

const FAST = ['--heartbeat-interval', '200ms', '--heartbeat-timeout', '5s'];
const started: RunningProgram[] = [];
const clients: DistExecClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  for (const program of started.splice(0).reverse()) {
    program.kill('SIGKILL');
    await program.exited;
  }
});

describe('a worker restarted on the same address', () => {
  it(
    'gets work at once: the master does not reuse a connection still backing off from the crash',
    { timeout: 120_000 },
    async () => {
      const master = await startMasterProcess(FAST);
      started.push(master);
      const client = new DistExecClient({ address: master.address, token: master.token });
      clients.push(client);
      const port = String(await freePort());
      // Its state dir keeps its node secret: the node is still held (UNHEALTHY, not LOST) when it comes back.
      const workerArgs = ['--id', 'phoenix', '--port', port, '--kill-grace', '200ms', '--state-dir', tempDir()];
      const first = await startWorkerProcess(master, workerArgs);
      started.push(first);

      const { job: victim } = await client.submit({ command: 'sleep 30' });
      // Started, not only placed: an attempt the master never heard start is lost without using a
      // retry (it may never have run), and the job would wait for a node instead of failing.
      await until(async () => {
        const job = await client.getJob(victim.id);
        return job.state === 'RUNNING' && job.startedAtMs !== null;
      });
      first.kill('SIGKILL');
      await first.exited;
      // The master notices (broken stream, refused probe), fails the attempt and tries to reach the node.
      await until(async () => (await client.getJob(victim.id)).state === 'FAILED', {
        timeoutMs: 60_000,
        message: () =>
          `the killed attempt to fail; master log:\n${master.logs.map((entry) => JSON.stringify(entry)).join('\n')}`,
      });

      started.push(await startWorkerProcess(master, workerArgs));
      const jobs = await Promise.all(
        Array.from({ length: 5 }, async () => (await client.submit({ command: 'echo again' })).job),
      );
      for (const job of jobs) {
        const done = await client.waitForJob(job.id);
        expect(done.state).toBe('COMPLETED');
        expect(done.workerId).toBe('phoenix');
        // Dispatched once and run: no failed dispatch to a healthy node.
        expect(done.attemptHistory).toHaveLength(1);
      }
      const [node] = await client.listNodes();
      expect(node?.unavailableReason).toBe('');
    },
  );
});
