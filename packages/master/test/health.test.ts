import { describe, expect, it } from 'vitest';
import type { Job, JobSpecInput } from '@dist-exec/core';
import { healthAt, type ClusterState } from '@dist-exec/master';
import { masterCore, registration } from './helpers.js';

const timeouts = { heartbeatTimeoutMs: 15_000, nodeLostTimeoutMs: 60_000 };

describe('healthAt', () => {
  it('derives health from the time since the last heartbeat', () => {
    expect(healthAt(0, 14_999, timeouts)).toBe('HEALTHY');
    expect(healthAt(0, 15_000, timeouts)).toBe('UNHEALTHY');
    expect(healthAt(0, 59_999, timeouts)).toBe('UNHEALTHY');
    expect(healthAt(0, 60_000, timeouts)).toBe('LOST');
  });
});

async function submitOne(cluster: ClusterState, spec: JobSpecInput): Promise<Job> {
  const [result] = await cluster.submit([spec]);
  if (!result) throw new Error('submit returned nothing');
  return result.job;
}

function setup() {
  const { clock, cluster, nodes } = masterCore({ random: () => 0.5 });
  return { clock, cluster, nodes };
}

describe('NodeManager health', () => {
  it('marks a silent node UNHEALTHY after the timeout, LOST later, and healthy again on a heartbeat', () => {
    const { clock, nodes } = setup();
    nodes.register(registration('w1'), []);
    clock.advance(14_000);
    nodes.checkHealth(clock.now());
    expect(nodes.list()[0]?.state).toBe('HEALTHY');
    clock.advance(1000);
    nodes.checkHealth(clock.now());
    expect(nodes.list()[0]?.state).toBe('UNHEALTHY');
    expect(nodes.heartbeat('w1', [], false)).toBeDefined();
    expect(nodes.list()[0]?.state).toBe('HEALTHY');
    clock.advance(60_000);
    nodes.checkHealth(clock.now());
    expect(nodes.list()[0]?.state).toBe('LOST');
    // A lost node must register again.
    expect(nodes.heartbeat('w1', [], false)).toBeUndefined();
  });

  it('requeues the attempts of a node that turns UNHEALTHY, with backoff', async () => {
    const { clock, cluster, nodes } = setup();
    nodes.register(registration('w1'), []);
    const job = await submitOne(cluster, { command: 'sleep 10', maxRetries: 1 });
    const node = cluster.registry.get('w1')!;
    const attempt = cluster.assign(cluster.queue.pop()!, node);
    cluster.attemptStarted({ jobId: job.id, attempt: attempt.number }, 'w1', clock.now());
    clock.advance(15_000);
    nodes.checkHealth(clock.now());
    expect(job.state).toBe('PENDING');
    expect(job.attemptHistory[0]).toMatchObject({ reason: 'WORKER_LOST', free: false });
    expect(cluster.queue.size).toBe(0);
    clock.advance(1000);
    expect(cluster.queue.size).toBe(1);
  });

  it('fences: results of a stale attempt change nothing', async () => {
    const { clock, cluster, nodes } = setup();
    nodes.register(registration('w1'), []);
    nodes.register(registration('w2'), []);
    const job = await submitOne(cluster, { command: 'x', maxRetries: 1 });
    const first = cluster.assign(cluster.queue.pop()!, cluster.registry.get('w1')!);
    cluster.attemptStarted({ jobId: job.id, attempt: 1 }, 'w1', clock.now());
    cluster.attemptLost({ jobId: job.id, attempt: first.number }, 'w1', 'WORKER_LOST', 'gone', false);
    clock.advance(2000);
    const second = cluster.assign(cluster.queue.pop()!, cluster.registry.get('w2')!);
    expect(second.number).toBe(2);
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
      outputLength: 0,
      peakMemoryBytes: 0,
      cpuTimeMs: 0,
    };
    expect(
      cluster.attemptOutput({ jobId: job.id, attempt: 1 }, 'w1', {
        offset: 0,
        stream: 'stdout',
        data: Buffer.from('stale'),
        timestampMs: 0,
      }),
    ).toBe(false);
    expect(cluster.attemptFinished({ jobId: job.id, attempt: 1 }, 'w1', result)).toBe(false);
    expect(job.state).toBe('RUNNING');
    expect(job.outputLength).toBe(0);
    expect(cluster.attemptFinished({ jobId: job.id, attempt: 2 }, 'w2', result)).toBe(true);
    expect(job.state).toBe('COMPLETED');
  });

  it('reconciles a re-registering worker: unknown attempts are killed, applied results acknowledged, missing ones requeued', async () => {
    const { cluster, nodes } = setup();
    nodes.register(registration('w1'), []);
    const job = await submitOne(cluster, { command: 'x', maxRetries: 0 });
    cluster.assign(cluster.queue.pop()!, cluster.registry.get('w1')!);
    // Never confirmed started: the worker restarted and does not report it, so it is requeued for free.
    const answer = nodes.register(registration('w1'), [
      { jobId: 'ghost', attempt: 1, finished: false },
      { jobId: 'old', attempt: 3, finished: true },
    ]);
    expect(answer.kill).toEqual([{ jobId: 'ghost', attempt: 1 }]);
    expect(answer.ack).toEqual([{ jobId: 'old', attempt: 3 }]);
    expect(job.state).toBe('PENDING');
    expect(job.attemptHistory[0]?.free).toBe(true);
    expect(cluster.registry.get('w1')!.activeTasks).toBe(0);
  });
});
