import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Job, JobSpecInput } from '@dist-exec/core';
import { SqliteStore, type ClusterState } from '@dist-exec/master';
import { FakeClock, testLogger } from '@dist-exec/testing';
import { masterCore, registration } from './helpers.js';

const LOST_MS = 60_000;
const dirs: string[] = [];
const stores: SqliteStore[] = [];

afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/**
 * One master "life" over a data dir: a real sqlite store, cluster state and
 * node manager on a fake clock. The dispatcher is replaced by a recorder of
 * the attaches the node manager asks for (the process tests run the real one).
 */
async function life(dataDir: string, clock: FakeClock) {
  const store = new SqliteStore({ dataDir, logger: testLogger() });
  stores.push(store);
  const { cluster, nodes, recorded } = masterCore({
    clock,
    store,
    random: () => 0.5,
    nodeLostTimeoutMs: LOST_MS,
  });
  const attached = recorded.attached;
  cluster.recover(await store.open());
  /** Ends this life like kill -9 would after the last flush: nothing buffered survives. */
  const crash = async (): Promise<void> => {
    await store.flush();
    await store.close();
  };
  return { store, cluster, nodes, attached, crash };
}

async function submit(cluster: ClusterState, spec: JobSpecInput): Promise<Job> {
  const [result] = await cluster.submit([spec]);
  if (!result) throw new Error('submit returned nothing');
  return result.job;
}

function drainQueue(cluster: ClusterState): string[] {
  const out: string[] = [];
  for (let job = cluster.queue.pop(); job; job = cluster.queue.pop()) out.push(String(job.spec.labels.name));
  return out;
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dist-exec-recovery-'));
  dirs.push(dir);
  return dir;
}

describe('recovery after a master restart', () => {
  it('queues PENDING jobs again in their original order and keeps a RUNNING one on its node, output included', async () => {
    const dir = tempDir();
    const clock = new FakeClock();
    const first = await life(dir, clock);
    first.nodes.register(registration('w1'), []);
    for (const [name, priority] of [
      ['a', 0],
      ['b', 0],
      ['urgent', 5],
      ['c', 0],
    ] as const)
      await submit(first.cluster, { command: 'x', priority, labels: { name } });
    const urgent = first.cluster.queue.pop() as Job;
    first.cluster.assign(urgent, first.cluster.registry.get('w1')!);
    const ref = { jobId: urgent.id, attempt: 1 };
    first.cluster.attemptStarted(ref, 'w1', clock.now());
    first.cluster.attemptOutput(ref, 'w1', {
      offset: 0,
      stream: 'stdout',
      data: Buffer.from('half a line'),
      timestampMs: clock.now(),
    });
    await first.crash();

    const second = await life(dir, clock);
    expect(second.cluster.runningCount).toBe(1);
    expect(drainQueue(second.cluster)).toEqual(['a', 'b', 'c']);
    const recovered = second.cluster.activeJob(urgent.id) as Job;
    expect(recovered).toMatchObject({ state: 'RUNNING', workerId: 'w1', outputLength: 11 });
    // The node is not listed until it registers, but it holds the attempt's slot.
    expect(second.nodes.list()).toEqual([]);
    expect(second.cluster.registry.get('w1')?.reservations.size).toBe(1);
    expect(Buffer.from((await second.cluster.readOutput(urgent.id, 5))[0]?.data ?? []).toString()).toBe('a line');

    // The worker's heartbeat reaches a master that does not know it: it registers and reports.
    expect(second.nodes.heartbeat('w1', [{ ...ref, finished: false }], false)).toBeUndefined();
    const answer = second.nodes.register(registration('w1'), [{ ...ref, finished: true }]);
    expect(answer).toEqual({ ack: [], kill: [] });
    expect(second.attached).toEqual([ref]);
    // The re-attached stream replays from offset 11 and brings the result.
    second.cluster.attemptOutput(ref, 'w1', {
      offset: 11,
      stream: 'stdout',
      data: Buffer.from('!\n'),
      timestampMs: clock.now(),
    });
    const result = {
      succeeded: true,
      reason: null,
      exitCode: 0,
      error: '',
      startedAtMs: 1,
      finishedAtMs: 2,
      stdoutDroppedBytes: 0,
      stderrDroppedBytes: 0,
      httpResult: null,
      outputLength: 13,
      peakMemoryBytes: 0,
      cpuTimeMs: 0,
    };
    expect(second.cluster.attemptFinished(ref, 'w1', result)).toBe(true);
    // Only now may the worker forget it; the next heartbeat acknowledges it.
    expect(second.nodes.heartbeat('w1', [{ ...ref, finished: true }], false)?.ack).toEqual([ref]);
    await second.crash();

    const third = await life(dir, clock);
    const done = await third.cluster.getJob(urgent.id);
    expect(done).toMatchObject({ state: 'COMPLETED', exitCode: 0, attempts: 1, outputLength: 13 });
    expect(Buffer.concat((await third.cluster.readOutput(urgent.id, 0)).map((c) => c.data)).toString()).toBe(
      'half a line!\n',
    );
  });

  it('fails the attempt with WORKER_LOST when its worker is not back within the node-lost timeout, then applies the retry rules', async () => {
    const dir = tempDir();
    const clock = new FakeClock();
    const first = await life(dir, clock);
    first.nodes.register(registration('gone'), []);
    const once = await submit(first.cluster, { command: 'x', maxRetries: 0, labels: { name: 'once' } });
    const twice = await submit(first.cluster, { command: 'x', maxRetries: 1, labels: { name: 'twice' } });
    for (const job of [once, twice]) {
      first.cluster.assign(first.cluster.queue.pop() as Job, first.cluster.registry.get('gone')!);
      first.cluster.attemptStarted({ jobId: job.id, attempt: 1 }, 'gone', clock.now());
    }
    await first.crash();

    const second = await life(dir, clock);
    clock.advance(LOST_MS - 1);
    second.nodes.checkHealth(clock.now());
    expect(second.cluster.runningCount).toBe(2);
    clock.advance(1);
    second.nodes.checkHealth(clock.now());
    expect(await second.cluster.getJob(once.id)).toMatchObject({ state: 'FAILED', reason: 'WORKER_LOST' });
    const retried = await second.cluster.getJob(twice.id);
    expect(retried).toMatchObject({ state: 'PENDING', attempts: 1 });
    expect(retried.attemptHistory[0]).toMatchObject({ reason: 'WORKER_LOST', free: false });
    expect(second.cluster.registry.get('gone')).toBeUndefined();
    // The retry waits out its backoff, then queues.
    clock.advance(10_000);
    expect(drainQueue(second.cluster)).toEqual(['twice']);
    await second.crash();

    // The decision itself survived: a later restart does not wait for the node again.
    const third = await life(dir, clock);
    expect(await third.cluster.getJob(once.id)).toMatchObject({ state: 'FAILED', reason: 'WORKER_LOST' });
    expect(third.cluster.runningCount).toBe(0);
    expect(third.cluster.pendingCount).toBe(1);
  });

  it('answers a repeated idempotent submit with the job from before the restart', async () => {
    const dir = tempDir();
    const clock = new FakeClock();
    const first = await life(dir, clock);
    const original = await submit(first.cluster, { command: 'deploy', idempotencyKey: 'deploy-42' });
    await first.crash();
    const second = await life(dir, clock);
    const [again] = await second.cluster.submit([{ command: 'deploy', idempotencyKey: 'deploy-42' }]);
    expect(again).toMatchObject({ existing: true, job: { id: original.id } });
    expect(second.cluster.pendingCount).toBe(1);
  });
});
