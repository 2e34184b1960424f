import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  ResourceExhaustedError,
  type JobEvent,
} from '@dist-exec/client';
import { processesMatching, startTestCluster, until, type TestCluster } from '@dist-exec/testing';

describe('a master with two workers', () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = await startTestCluster({ workers: 2, worker: { maxTasks: 12 } });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('runs a command and returns its output and exit code', async () => {
    const { job } = await cluster.client.submit({ command: 'echo out; echo err >&2; exit 3' });
    const done = await cluster.client.waitForJob(job.id);
    expect(done).toMatchObject({ state: 'FAILED', reason: 'EXIT_CODE', exitCode: 3, attempts: 1 });
    const full = await cluster.client.getJob(job.id, { output: true });
    expect(Buffer.from(full.stdout!).toString()).toBe('out\n');
    expect(Buffer.from(full.stderr!).toString()).toBe('err\n');
    expect(full.workerId).toMatch(/^worker-[12]$/);
  });

  it('passes binary output through unchanged', async () => {
    const bytes = Buffer.from([0, 1, 2, 0xff, 0xfe, 0x80, 10, 13]);
    const { job } = await cluster.client.submit({
      argv: ['printf', Array.from(bytes, (b) => `\\${b.toString(8).padStart(3, '0')}`).join('')],
    });
    await cluster.client.waitForJob(job.id);
    const full = await cluster.client.getJob(job.id, { output: true });
    expect(Buffer.from(full.stdout!)).toEqual(bytes);
  });

  it('kills a job at its timeout, with every process of its group', async () => {
    const marker = `timeout-marker-${Date.now()}`;
    const { job } = await cluster.client.submit({
      command: `sh -c 'sleep 30 # ${marker}' & sleep 30 # ${marker}`,
      timeoutMs: 1000,
    });
    const done = await cluster.client.waitForJob(job.id);
    expect(done).toMatchObject({ state: 'FAILED', reason: 'TIMEOUT', error: 'timed out after 1000ms' });
    await until(async () => (await processesMatching(marker)).length === 0, {
      message: 'the job processes to be gone',
    });
  });

  it('cancels a running job and kills its processes', async () => {
    const marker = `cancel-marker-${Date.now()}`;
    const { job } = await cluster.client.submit({ command: `sleep 60 & sleep 60 # ${marker}` });
    await until(
      async () =>
        (await cluster.client.getJob(job.id)).state === 'RUNNING' && (await processesMatching(marker)).length > 0,
    );
    const cancelled = await cluster.client.cancel(job.id);
    expect(cancelled).toMatchObject({ state: 'CANCELLED', reason: 'CANCELLED' });
    await until(async () => (await processesMatching(marker)).length === 0, {
      message: 'the cancelled processes to be gone',
    });
    // Cancelling twice is harmless; cancelling a finished job is refused.
    await expect(cluster.client.cancel(job.id)).resolves.toMatchObject({ state: 'CANCELLED' });
    const { job: quick } = await cluster.client.submit({ command: 'true' });
    await cluster.client.waitForJob(quick.id);
    await expect(cluster.client.cancel(quick.id)).rejects.toBeInstanceOf(FailedPreconditionError);
  });

  it('cancels a pending job before it runs', async () => {
    await cluster.master.nodes.drain('worker-1', 0);
    await cluster.master.nodes.drain('worker-2', 0);
    try {
      const { job } = await cluster.client.submit({ command: 'echo never' });
      expect((await cluster.client.getJob(job.id)).pendingReason).toMatch(/draining/);
      expect(await cluster.client.cancel(job.id)).toMatchObject({ state: 'CANCELLED', attempts: 0 });
    } finally {
      cluster.master.nodes.undrain('worker-1');
      cluster.master.nodes.undrain('worker-2');
    }
  });

  it('spreads 20 jobs evenly over 2 workers with round-robin', async () => {
    const jobs = await cluster.client.submitMany(
      Array.from({ length: 20 }, () => ({ command: 'sleep 0.2', labels: { batch: 'rr' } })),
    );
    const done = await Promise.all(jobs.map((j) => cluster.client.waitForJob(j.id)));
    const counts: Record<string, number> = {};
    for (const job of done) counts[job.workerId!] = (counts[job.workerId!] ?? 0) + 1;
    expect(counts).toEqual({ 'worker-1': 10, 'worker-2': 10 });
  });

  it('answers a bulk submit with ids only when asked, in the order of the specs', async () => {
    const ids = await cluster.client.submitManyIds([{ command: 'echo one' }, { command: 'echo two' }]);
    expect(ids).toHaveLength(2);
    const jobs = await Promise.all(ids.map((id) => cluster.client.waitForJob(id)));
    expect(jobs.map((job) => [job.id, job.spec.command, job.state])).toEqual([
      [ids[0], 'echo one', 'COMPLETED'],
      [ids[1], 'echo two', 'COMPLETED'],
    ]);
  });

  it('streams state and output, and resumes from an offset without gaps or repeats', async () => {
    const { job } = await cluster.client.submit({ command: 'for i in 1 2 3 4 5; do echo line-$i; sleep 0.05; done' });
    const events: JobEvent[] = [];
    for await (const event of cluster.client.watch(job.id)) events.push(event);
    const last = events[events.length - 1];
    expect(last).toMatchObject({ type: 'job', job: { state: 'COMPLETED', exitCode: 0 } });
    const text = Buffer.concat(events.flatMap((e) => (e.type === 'output' ? [e.chunk.data] : []))).toString();
    expect(text).toBe('line-1\nline-2\nline-3\nline-4\nline-5\n');
    const resumed: Buffer[] = [];
    for await (const event of cluster.client.watch(job.id, { fromOffset: 10 }))
      if (event.type === 'output') resumed.push(Buffer.from(event.chunk.data));
    expect(Buffer.concat(resumed).toString()).toBe(text.slice(10));
  });

  it('rejects bad input with INVALID_ARGUMENT and stores nothing', async () => {
    const before = (await cluster.client.listJobs()).totalCount;
    await expect(cluster.client.submit({ command: '' })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(cluster.client.submit({ command: 'x'.repeat(200_000) })).rejects.toThrow(/at most/);
    await expect(cluster.client.submit({ type: 'quantum', command: 'x' })).rejects.toThrow(/unknown task type/);
    await expect(cluster.client.submit({ command: 'x', timeoutMs: 30 * 24 * 3_600_000 })).rejects.toThrow(/timeout_ms/);
    await expect(cluster.client.submitMany([{ command: 'ok' }, { command: '' }])).rejects.toThrow(/specs\[1\]/);
    await expect(cluster.client.getJob('not-a-uuid')).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(cluster.client.getJob('01a2074a-7067-75c4-ab32-9e32b258f0dd')).rejects.toBeInstanceOf(NotFoundError);
    expect((await cluster.client.listJobs()).totalCount).toBe(before);
  });

  it('lists jobs newest first, filtered by state, in pages with a total', async () => {
    const jobs = await cluster.client.submitMany(Array.from({ length: 7 }, (_, i) => ({ command: `exit ${i % 2}` })));
    await Promise.all(jobs.map((j) => cluster.client.waitForJob(j.id)));
    const failed = await cluster.client.listJobs({ states: ['FAILED'], pageSize: 2 });
    expect(failed.jobs).toHaveLength(2);
    expect(failed.jobs.every((j) => j.state === 'FAILED')).toBe(true);
    const all: string[] = [];
    let token = '';
    do {
      const page = await cluster.client.listJobs({ states: ['FAILED'], pageSize: 2, pageToken: token });
      expect(page.totalCount).toBe(failed.totalCount);
      all.push(...page.jobs.map((j) => j.id));
      token = page.nextPageToken;
    } while (token);
    expect(all).toHaveLength(failed.totalCount);
    expect(new Set(all).size).toBe(all.length);
    const newest = await cluster.client.listJobs({ pageSize: 1 });
    expect(newest.jobs[0]?.id).toBe(jobs[jobs.length - 1]?.id);
  });

  it('each worker heartbeats on one stream of its own', async () => {
    const before = Date.now();
    const nodes = await until(
      async () => {
        const listed = await cluster.client.listNodes();
        return listed.every((node) => node.lastHeartbeatMs > before) ? listed : null;
      },
      { message: 'a heartbeat from every worker' },
    );
    expect(nodes).toHaveLength(2);
    expect(cluster.master.heartbeatStreams).toBe(2);
  });

  it('lists nodes with their load', async () => {
    const nodes = await cluster.client.listNodes();
    expect(nodes.map((n) => n.id).sort()).toEqual(['worker-1', 'worker-2']);
    expect(nodes[0]).toMatchObject({
      state: 'HEALTHY',
      maxTasks: 12,
      capabilities: expect.arrayContaining(['command']),
    });
  });
});

describe('a full queue', () => {
  it('answers RESOURCE_EXHAUSTED as a typed error', async () => {
    const cluster = await startTestCluster({ workers: 0, master: { maxQueue: 3 } });
    try {
      await cluster.client.submitMany([{ command: 'a' }, { command: 'b' }, { command: 'c' }]);
      await expect(cluster.client.submit({ command: 'd' })).rejects.toBeInstanceOf(ResourceExhaustedError);
      expect((await cluster.client.listJobs()).totalCount).toBe(3);
    } finally {
      await cluster.stop();
    }
  });
});
