import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, NotFoundError, type JobView } from '@dist-exec/client';
import { startTestCluster, until, type TestCluster } from '@dist-exec/testing';

async function collect(iterable: AsyncIterable<JobView>, onEach?: (job: JobView) => void): Promise<JobView[]> {
  const seen: JobView[] = [];
  for await (const job of iterable) {
    seen.push(job);
    onEach?.(job);
  }
  return seen;
}

describe('WatchJobs: the states of many jobs on one stream', () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = await startTestCluster({ workers: 2, worker: { maxTasks: 8 } });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('sends each job once in its final state and ends when all have finished', async () => {
    const jobs = await cluster.client.submitMany(
      Array.from({ length: 40 }, (_, i) => ({ command: i % 10 === 3 ? 'exit 3' : 'true' })),
    );
    const ids = jobs.map((job) => job.id);
    // Some have finished before the watch starts, some finish during it.
    await cluster.client.waitForJob(ids[0] as string);
    const seen = await collect(cluster.client.watchJobs([...ids, ids[1] as string], { finalOnly: true }));
    expect(seen.map((job) => job.id).sort()).toEqual([...ids].sort());
    for (const job of seen) {
      const failing = ids.indexOf(job.id) % 10 === 3;
      expect(job).toMatchObject(
        failing ? { state: 'FAILED', reason: 'EXIT_CODE', exitCode: 3 } : { state: 'COMPLETED', exitCode: 0 },
      );
    }
  });

  it('sends the current state, then changes, and ends with the last job finishing', async () => {
    // Constrained to a label no node has: PENDING until cancelled, without relying on timing.
    const [waiting] = await cluster.client.submitMany([{ command: 'true', constraints: { nowhere: 'true' } }]);
    const [quick] = await cluster.client.submitMany([{ command: 'true' }]);
    const states: string[] = [];
    const watching = collect(
      cluster.client.watchJobs([waiting!.id, quick!.id]),
      (job) => job.id === waiting!.id && states.push(job.state),
    );
    await until(() => states.includes('PENDING'), { message: 'the pending state on the stream' });
    await cluster.client.cancel(waiting!.id);
    const seen = await watching;
    expect(states).toEqual(['PENDING', 'CANCELLED']);
    expect(seen.filter((job) => job.id === quick!.id).at(-1)).toMatchObject({ state: 'COMPLETED' });
  });

  it('brief: each job without its spec and attempt history, with its state and result', async () => {
    const jobs = await cluster.client.submitMany([
      { command: 'exit 5', labels: { team: 'infra' } },
      { command: 'true' },
    ]);
    const seen = await collect(
      cluster.client.watchJobs(
        jobs.map((job) => job.id),
        { finalOnly: true, brief: true },
      ),
    );
    const failed = seen.find((job) => job.id === jobs[0]!.id);
    expect(failed).toMatchObject({
      state: 'FAILED',
      reason: 'EXIT_CODE',
      exitCode: 5,
      attempts: 1,
      spec: { command: '', labels: {} },
      attemptHistory: [],
    });
    expect(failed?.workerId).toMatch(/^worker-/);
    expect(failed?.finishedAtMs).toBeGreaterThan(0);
    expect(seen.find((job) => job.id === jobs[1]!.id)).toMatchObject({ state: 'COMPLETED', exitCode: 0 });
    // Without brief the same final carries both.
    const [full] = await collect(cluster.client.watchJobs([jobs[0]!.id], { finalOnly: true }));
    expect(full).toMatchObject({ spec: { command: 'exit 5', labels: { team: 'infra' } } });
    expect(full?.attemptHistory).toHaveLength(1);
  });

  it('refuses unknown ids, malformed ids and an empty list before sending anything', async () => {
    const [done] = await cluster.client.submitMany([{ command: 'true' }]);
    const missing = '0190a4c2-7d3e-7a1b-9c2d-3e4f5a6b7c8d';
    await expect(collect(cluster.client.watchJobs([done!.id, missing]))).rejects.toBeInstanceOf(NotFoundError);
    await expect(collect(cluster.client.watchJobs(['not-a-job']))).rejects.toThrow(/ids: "not-a-job" is not a job id/);
    await expect(collect(cluster.client.watchJobs([]))).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});
