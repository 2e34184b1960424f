import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  InvalidArgumentError,
  type DistExecClient,
  type JobSpecInput,
  type RunEvent,
  type RunOptions,
} from '@dist-exec/client';
import { startTestCluster, type TestCluster } from '@dist-exec/testing';

async function collect(client: DistExecClient, spec: JobSpecInput, options?: RunOptions): Promise<RunEvent[]> {
  const events: RunEvent[] = [];
  for await (const event of client.run(spec, options)) events.push(event);
  return events;
}

const outputOf = (events: readonly RunEvent[]): string =>
  Buffer.concat(events.flatMap((e) => (e.type === 'output' ? [e.chunk.data] : []))).toString();
const statesOf = (events: readonly RunEvent[]): string[] =>
  events.flatMap((e) => (e.type === 'job' ? [e.job.state] : []));

describe('RunJob: submit and watch in one call', () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = await startTestCluster({ workers: 1, worker: { maxTasks: 4 } });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('says which job it stored first, then streams its states and output to the final state', async () => {
    const events = await collect(cluster.client, { command: 'echo one; echo two >&2; exit 4' });
    const [first, ...rest] = events;
    expect(first).toMatchObject({
      type: 'submitted',
      existing: false,
      job: { spec: { command: 'echo one; echo two >&2; exit 4' } },
    });
    const id = first?.type === 'submitted' ? first.job.id : '';
    expect(rest.every((e) => e.type !== 'submitted' && (e.type === 'output' || e.job.id === id))).toBe(true);
    expect(events.at(-1)).toMatchObject({ type: 'job', job: { state: 'FAILED', exitCode: 4 } });
    // Each state once: the dispatch and the start of the process are one RUNNING (sleep lets the start come apart).
    const slow = await collect(cluster.client, { command: 'sleep 0.2; echo late' });
    expect(statesOf(slow)).toEqual(['RUNNING', 'COMPLETED']);
    expect(statesOf(rest)).toContain('RUNNING');
    expect(outputOf(events)).toContain('one\n');
    expect(outputOf(events)).toContain('two\n');
    expect(await cluster.client.getJob(id)).toMatchObject({ state: 'FAILED', exitCode: 4 });
  });

  it('with finalOnly and noOutput sends the stored job and its final state, nothing else', async () => {
    const events = await collect(cluster.client, { command: 'echo quiet' }, { finalOnly: true, noOutput: true });
    expect(events.map((e) => e.type)).toEqual(['submitted', 'job']);
    expect(events[1]).toMatchObject({ type: 'job', job: { state: 'COMPLETED', exitCode: 0 } });
  });

  it('answers an idempotency key it has seen with the earlier job, already finished', async () => {
    const spec = { command: 'echo once', idempotencyKey: `run-job-${process.pid}` };
    const first = await collect(cluster.client, spec, { finalOnly: true });
    const again = await collect(cluster.client, spec, { finalOnly: true });
    const firstJob = first[0]?.type === 'submitted' ? first[0].job : null;
    expect(again[0]).toMatchObject({ type: 'submitted', existing: true, job: { id: firstJob?.id } });
    expect(again.at(-1)).toMatchObject({ type: 'job', job: { id: firstJob?.id, state: 'COMPLETED' } });
    expect(outputOf(again)).toBe('once\n');
  });

  it('rejects a bad spec with INVALID_ARGUMENT before storing anything', async () => {
    const before = (await cluster.client.listJobs()).totalCount;
    await expect(collect(cluster.client, { command: '' })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(collect(cluster.client, { type: 'quantum', command: 'x' })).rejects.toThrow(/unknown task type/);
    expect((await cluster.client.listJobs()).totalCount).toBe(before);
  });
});
