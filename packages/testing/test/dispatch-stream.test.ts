import { afterEach, describe, expect, it } from 'vitest';
import type { JobSpec } from '@dist-exec/core';
import {
  freePort,
  startTestCluster,
  startWorkerProcess,
  tempDir,
  until,
  type RunningProgram,
  type TestCluster,
} from '@dist-exec/testing';

const clusters: TestCluster[] = [];
const programs: RunningProgram[] = [];

afterEach(async () => {
  for (const program of programs.splice(0)) {
    program.kill('SIGKILL');
    await program.exited;
  }
  for (const cluster of clusters.splice(0)) await cluster.stop();
});

async function cluster(...args: Parameters<typeof startTestCluster>): Promise<TestCluster> {
  const started = await startTestCluster(...args);
  clusters.push(started);
  return started;
}

function commandSpec(command: string): JobSpec {
  return {
    type: 'command',
    command,
    argv: [],
    env: {},
    cwd: '',
    stdin: new Uint8Array(),
    priority: 0,
    timeoutMs: 0,
    labels: {},
    constraints: {},
    cpu: 0,
    memoryBytes: 0,
    maxRetries: 0,
    retryOnFailure: false,
    idempotencyKey: '',
    http: null,
    memoryLimitBytes: 0,
    user: '',
  };
}

describe('dispatch over one Dispatch stream per worker', () => {
  it('carries many jobs to each worker on one stream, each job with its own output', { timeout: 120_000 }, async () => {
    const { client, master } = await cluster({ workers: 2, worker: { maxTasks: 8 } });
    const jobs = await client.submitMany(
      Array.from({ length: 200 }, (_, i) => ({ command: `printf 'job-${i}'; printf 'err-${i}' >&2` })),
    );
    const done = await Promise.all(jobs.map((job) => client.waitForJob(job.id)));
    expect(done.every((job) => job.state === 'COMPLETED')).toBe(true);
    // The events of many attempts share a stream: each job got exactly its own output.
    for (const [i, job] of jobs.entries()) {
      const full = await client.getJob(job.id, { output: true });
      expect(Buffer.from(full.stdout!).toString()).toBe(`job-${i}`);
      expect(Buffer.from(full.stderr!).toString()).toBe(`err-${i}`);
    }
    const workers = new Set(done.map((job) => job.workerId));
    expect(workers).toEqual(new Set(['worker-1', 'worker-2']));
    for (const id of workers) expect(master.dispatcher.transport(id!)).toEqual({ kind: 'dispatch', streamsOpened: 1 });
    expect(master.dispatcher.streamCount).toBe(0);
  });

  it(
    'acknowledges finished attempts on the stream: the worker forgets them without waiting for a heartbeat',
    { timeout: 120_000 },
    async () => {
      // Heartbeats a minute apart: the first is due long after the jobs are done.
      const { client, workers } = await cluster({
        workers: 1,
        worker: { maxTasks: 8 },
        master: { heartbeatIntervalMs: 60_000, nodeLostTimeoutMs: 600_000 },
      });
      const runner = workers[0]!.runner!;
      const jobs = await client.submitMany(Array.from({ length: 30 }, (_, i) => ({ command: `printf 'acked-${i}'` })));
      const done = await Promise.all(jobs.map((job) => client.waitForJob(job.id)));
      expect(done.every((job) => job.state === 'COMPLETED')).toBe(true);
      await until(() => runner.reports().length === 0, {
        timeoutMs: 30_000,
        message: 'the worker to forget the acknowledged results',
      });
      // What was acknowledged is durable on the master: the output is all there.
      const full = await client.getJob(jobs[7]!.id, { output: true });
      expect(Buffer.from(full.stdout!).toString()).toBe('acked-7');
    },
  );

  it(
    'treats an attempt the worker declines as free: the job runs once the worker has room',
    { timeout: 120_000 },
    async () => {
      const { client, master, workers } = await cluster({
        workers: 1,
        worker: { maxTasks: 2 },
        master: { skipNodeMs: 200 },
      });
      const runner = workers[0]!.runner!;
      // Fill the worker behind the master's back, so it declines what the master thinks fits.
      const local = [1, 2].map((n) => ({ jobId: `local-${n}`, attempt: 1 }));
      const sink = { started: () => {}, output: () => {}, finished: () => {} };
      for (const ref of local)
        runner.execute(
          { ref, spec: commandSpec('sleep 60'), fromOffset: 0, outputLimitBytes: 0, killGraceMs: 0 },
          sink,
        );

      const { job } = await client.submit({ command: 'echo ran', maxRetries: 0 });
      // (Whether an attempt was free is the master's own record; the API does not show it.)
      const declined = await until(async () =>
        (await master.cluster.getJob(job.id)).attemptHistory.find((a) => /runs 2 of 2 tasks/.test(a.error)),
      );
      expect(declined.free).toBe(true);
      for (const ref of local) runner.cancel(ref, true);
      const done = await client.waitForJob(job.id);
      // With no retries allowed, the job could only complete because declines cost nothing.
      expect(done.state).toBe('COMPLETED');
      expect((await master.cluster.getJob(job.id)).attemptHistory.slice(0, -1).every((a) => a.free)).toBe(true);
      expect(master.dispatcher.transport('worker-1')?.kind).toBe('dispatch');
    },
  );

  it(
    'falls back to one Execute call per attempt for a worker that does not serve Dispatch',
    { timeout: 120_000 },
    async () => {
      const { client, master } = await cluster({
        workers: 1,
        worker: { maxTasks: 4 },
        workerDeps: { serveDispatch: false },
      });
      const jobs = await client.submitMany(Array.from({ length: 20 }, (_, i) => ({ command: `printf 'old-${i}'` })));
      for (const [i, job] of jobs.entries()) {
        const done = await client.waitForJob(job.id);
        expect(done).toMatchObject({ state: 'COMPLETED', attempts: 1 });
        const full = await client.getJob(job.id, { output: true });
        expect(Buffer.from(full.stdout!).toString()).toBe(`old-${i}`);
      }
      expect(master.dispatcher.transport('worker-1')).toEqual({ kind: 'execute', streamsOpened: 1 });
      // A running job can still be cancelled through the fallback path.
      const { job: long } = await client.submit({ command: 'sleep 60' });
      await until(async () => (await client.getJob(long.id)).state === 'RUNNING');
      expect((await client.cancel(long.id)).state).toBe('CANCELLED');
    },
  );

  it(
    'a worker killed mid-stream and restarted on the same port gets its jobs back over a new stream',
    { timeout: 180_000 },
    async () => {
      const { client, master, address, workerToken } = await cluster({
        workers: 1,
        master: { heartbeatTimeoutMs: 1000, retryBackoffBaseMs: 200, retryBackoffCapMs: 1000 },
      });
      // The in-process worker takes no work: everything goes to the worker process.
      master.nodes.drain('worker-1', 0);
      const port = String(await freePort());
      const args = ['--id', 'victim', '--port', port, '--max-tasks', '8', '--heartbeat-interval', '200ms'];
      // The same state dir (its node secret) and token when it comes back.
      args.push('--state-dir', tempDir());
      const env = { DIST_EXEC_TOKEN: workerToken };
      const first = await startWorkerProcess(address, args, env);
      programs.push(first);

      const jobs = await client.submitMany(
        Array.from({ length: 6 }, (_, i) => ({ command: `sleep 1; printf 'survived-${i}'`, maxRetries: 1 })),
      );
      await until(async () =>
        (await Promise.all(jobs.map((j) => client.getJob(j.id)))).every((j) => j.state === 'RUNNING'),
      );
      expect(master.dispatcher.transport('victim')).toEqual({ kind: 'dispatch', streamsOpened: 1 });
      first.kill('SIGKILL');
      await first.exited;

      // Every attempt on the broken stream is lost (the node is suspect, then down), none is left listening.
      await until(
        async () => (await Promise.all(jobs.map((j) => client.getJob(j.id)))).every((j) => j.state === 'PENDING'),
        { timeoutMs: 60_000 },
      );
      expect(master.dispatcher.streamCount).toBe(0);

      programs.push(await startWorkerProcess(address, args, env));
      for (const [i, job] of jobs.entries()) {
        const done = await client.waitForJob(job.id);
        expect(done).toMatchObject({ state: 'COMPLETED', workerId: 'victim', attempts: 2 });
        expect(done.attemptHistory[0]?.reason).toBe('WORKER_LOST');
        const full = await client.getJob(job.id, { output: true });
        expect(Buffer.from(full.stdout!).toString()).toBe(`survived-${i}`);
      }
      const transport = master.dispatcher.transport('victim');
      expect(transport?.kind).toBe('dispatch');
      expect(transport?.streamsOpened).toBeGreaterThanOrEqual(2);
    },
  );
});
