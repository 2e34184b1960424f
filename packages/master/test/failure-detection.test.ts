import { describe, expect, it } from 'vitest';
import type { Job, JobSpecInput } from '@dist-exec/core';
import type { ProbeResult } from '@dist-exec/runtime';
import {
  CircuitBreaker,
  DispatchBreakers,
  HealthController,
  PauseLedger,
  probeVerdict,
  RoundRobinPolicy,
  place,
  type ClusterState,
} from '@dist-exec/master';
import { FakeClock, testLogger } from '@dist-exec/testing';
import { makeJob, makeNode, masterCore, registration, testNodes } from './helpers.js';

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('CircuitBreaker', () => {
  const options = { failureThreshold: 3, openMs: 30_000, maxOpenMs: 100_000 };

  it('opens after the threshold of failures in a row; a success in between starts the count again', () => {
    const breaker = new CircuitBreaker(options);
    expect(breaker.failure(0)).toBe(false);
    expect(breaker.failure(0)).toBe(false);
    breaker.success();
    expect(breaker.failure(0)).toBe(false);
    expect(breaker.failure(0)).toBe(false);
    expect(breaker.allows(0)).toBe(true);
    expect(breaker.failure(1000)).toBe(true);
    expect(breaker.state).toBe('open');
    expect(breaker.allows(30_999)).toBe(false);
  });

  it('lets one trial through when the period is over; a failed trial doubles the period, up to the cap', () => {
    const breaker = new CircuitBreaker(options);
    for (let i = 0; i < 3; i += 1) breaker.failure(0);
    expect(breaker.allows(30_000)).toBe(true);
    expect(breaker.state).toBe('half-open');
    breaker.dispatched();
    expect(breaker.allows(30_000)).toBe(false);
    expect(breaker.failure(31_000)).toBe(true);
    expect(breaker.openUntilMs).toBe(31_000 + 60_000);
    expect(breaker.allows(91_000)).toBe(true);
    breaker.dispatched();
    breaker.failure(91_000);
    expect(breaker.openUntilMs).toBe(91_000 + 100_000);
  });

  it('closes on a successful trial and starts over with the first period', () => {
    const breaker = new CircuitBreaker(options);
    for (let i = 0; i < 3; i += 1) breaker.failure(0);
    breaker.allows(30_000);
    breaker.dispatched();
    breaker.failure(30_000);
    breaker.allows(90_000);
    breaker.success();
    expect(breaker.state).toBe('closed');
    expect(breaker.failures).toBe(0);
    for (let i = 0; i < 3; i += 1) breaker.failure(100_000);
    expect(breaker.openUntilMs).toBe(130_000);
  });
});

describe('DispatchBreakers', () => {
  function setup() {
    const clock = new FakeClock();
    let kicks = 0;
    const breakers = new DispatchBreakers({
      registry: testNodes,
      clock,
      logger: testLogger(),
      breaker: { failureThreshold: 2, openMs: 10_000, maxOpenMs: 60_000 },
      kick: () => (kicks += 1),
    });
    return { clock, breakers, kicks: () => kicks };
  }

  it('skips a node whose dispatches keep failing, then lets one trial through after the period', () => {
    const { clock, breakers, kicks } = setup();
    const node = makeNode('flaky');
    breakers.failure(node, 'connection refused');
    expect(node.schedulable).toBe(true);
    breakers.failure(node, 'connection refused');
    expect(node.schedulable).toBe(false);
    expect(node.unavailableReason).toMatch(/2 dispatches in a row failed \(last: connection refused\); skipped until/);
    clock.advance(9_999);
    expect(node.schedulable).toBe(false);
    clock.advance(1);
    expect(node.schedulable).toBe(true);
    expect(kicks()).toBe(1);
    // The trial holds the node until it answers.
    breakers.dispatched(node);
    expect(node.schedulable).toBe(false);
    expect(node.unavailableReason).toMatch(/waiting for a trial dispatch/);
    breakers.success(node);
    expect(node.schedulable).toBe(true);
    expect(breakers.state(node.id)).toBe('closed');
  });

  it('a failed trial skips the node for twice as long', () => {
    const { clock, breakers } = setup();
    const node = makeNode('flaky2');
    breakers.failure(node, 'x');
    breakers.failure(node, 'x');
    clock.advance(10_000);
    breakers.dispatched(node);
    breakers.failure(node, 'still refused');
    clock.advance(19_999);
    expect(node.schedulable).toBe(false);
    clock.advance(1);
    expect(node.schedulable).toBe(true);
  });
});

describe('DispatchBreakers on a timer clock that lags', () => {
  it('lets the node back in when its timer fires before the period has ended on the clock it was measured with', () => {
    // Node's timers run on a monotonic clock read at the start of a loop
    // turn, Date.now() on the wall clock: a timer can fire a few ms before
    // now() reaches its end. Here the first timer fires 5 ms early.
    const fake = new FakeClock();
    let lagMs = 5;
    const clock = {
      now: () => fake.now(),
      setTimeout: (fn: () => void, ms: number) => {
        const timer = fake.setTimeout(fn, ms - lagMs);
        lagMs = 0;
        return timer;
      },
    };
    let kicks = 0;
    const breakers = new DispatchBreakers({
      registry: testNodes,
      clock,
      logger: testLogger(),
      breaker: { failureThreshold: 1, openMs: 200, maxOpenMs: 1000 },
      kick: () => (kicks += 1),
    });
    const node = makeNode('early');
    breakers.failure(node, 'declined');
    fake.advance(195);
    expect(node.schedulable).toBe(false);
    fake.advance(5);
    expect(node.schedulable).toBe(true);
    expect(kicks).toBe(1);
  });
});

describe('probeVerdict', () => {
  it('declares a node down only on a refused connection with no heartbeat since the probe went out', () => {
    const refused: ProbeResult = { type: 'refused', detail: 'connect ECONNREFUSED' };
    expect(probeVerdict({ type: 'serving' }, false)).toBe('reachable');
    expect(probeVerdict(refused, false)).toBe('down');
    expect(probeVerdict(refused, true)).toBe('wait');
    expect(probeVerdict({ type: 'no-answer', detail: 'deadline' }, false)).toBe('wait');
    expect(probeVerdict({ type: 'not-serving' }, false)).toBe('wait');
    expect(probeVerdict({ type: 'error', detail: '?' }, false)).toBe('wait');
  });
});

async function submitOne(cluster: ClusterState, spec: JobSpecInput): Promise<Job> {
  const [result] = await cluster.submit([spec]);
  if (!result) throw new Error('submit returned nothing');
  return result.job;
}

function clusterSetup(probe?: ScriptedProbe) {
  const core = masterCore({ random: () => 0.5, ...(probe ? { probe: probe.probe } : {}) });
  return { ...core, stopped: core.recorded.stopped };
}

/** A probe the test answers by hand, one call at a time. */
class ScriptedProbe {
  calls: string[] = [];
  #pending: ((result: ProbeResult) => void)[] = [];
  probe = (address: string): Promise<ProbeResult> => {
    this.calls.push(address);
    return new Promise((resolve) => this.#pending.push(resolve));
  };
  async answer(result: ProbeResult): Promise<void> {
    const next = this.#pending.shift();
    if (!next) throw new Error('no probe is waiting for an answer');
    next(result);
    await flush();
  }
}

describe('FailureDetector', () => {
  function setup() {
    const probe = new ScriptedProbe();
    const base = clusterSetup(probe);
    const reachable: string[] = [];
    base.detector.subscribe({ reachable: (node) => reachable.push(node.id) });
    base.nodes.register(registration('w1'), []);
    return { ...base, probe, reachable, node: base.cluster.registry.get('w1')! };
  }

  it('stops placing on a suspect node at once and clears it when a probe reaches it', async () => {
    const { detector, probe, node, reachable } = setup();
    detector.suspect('w1', 'the Execute stream broke');
    expect(node.schedulable).toBe(false);
    expect(node.unavailableReason).toBe('suspect: the Execute stream broke');
    expect(probe.calls).toEqual([node.address]);
    // Suspecting again while probing starts no second probe.
    detector.suspect('w1', 'another stream broke');
    expect(probe.calls).toHaveLength(1);
    await probe.answer({ type: 'serving' });
    expect(node.schedulable).toBe(true);
    expect(reachable).toEqual(['w1']);
  });

  it('declares a node whose port refuses connections down at once: its attempts fail WORKER_LOST and are retried', async () => {
    const { detector, probe, node, cluster, clock, nodes, stopped } = setup();
    const job = await submitOne(cluster, { command: 'sleep 10', maxRetries: 1 });
    cluster.assign(cluster.queue.pop()!, node);
    cluster.attemptStarted({ jobId: job.id, attempt: 1 }, 'w1', clock.now());
    clock.advance(100);
    detector.suspect('w1', 'the Execute stream broke');
    await probe.answer({ type: 'refused', detail: 'connect ECONNREFUSED 127.0.0.1:1' });
    expect(node.health).toBe('UNHEALTHY');
    expect(job.state).toBe('PENDING');
    expect(job.attemptHistory[0]).toMatchObject({
      reason: 'WORKER_LOST',
      free: false,
      error: expect.stringMatching(/refuses connections/),
    });
    expect(stopped).toEqual([`${job.id}/1@w1`]);
    // The time-based check does not make it healthy again; a heartbeat does.
    nodes.checkHealth(clock.now());
    expect(node.health).toBe('UNHEALTHY');
    nodes.heartbeat('w1', [], false);
    expect(node.health).toBe('HEALTHY');
  });

  it('does not declare a node down when it heartbeated after the probe went out; probes again, soon at first, then backing off', async () => {
    const { detector, probe, node, clock, nodes } = setup();
    detector.suspect('w1', 'dispatch failed');
    clock.advance(10);
    nodes.heartbeat('w1', [], false);
    await probe.answer({ type: 'refused', detail: 'ECONNREFUSED' });
    expect(node.health).toBe('HEALTHY');
    expect(node.schedulable).toBe(false);
    const gaps: number[] = [];
    for (let round = 0; round < 6; round += 1) {
      const before = probe.calls.length;
      let waited = 0;
      while (probe.calls.length === before) {
        clock.advance(100);
        waited += 100;
      }
      gaps.push(waited);
      await probe.answer({ type: 'no-answer', detail: 'deadline exceeded' });
    }
    // 100ms, 400ms, 1.6s, then the probe interval (5s here) as the ceiling.
    expect(gaps).toEqual([100, 400, 1600, 5000, 5000, 5000]);
    expect(node.health).toBe('HEALTHY');
  });

  it('never fails attempts on a node that only does not answer (busy, stopped): the heartbeat timeout decides', async () => {
    const { detector, probe, node, cluster, clock } = setup();
    const job = await submitOne(cluster, { command: 'x', maxRetries: 1 });
    cluster.assign(cluster.queue.pop()!, node);
    detector.suspect('w1', 'stream broke');
    for (let i = 0; i < 3; i += 1) {
      await probe.answer({ type: 'no-answer', detail: 'deadline exceeded' });
      clock.advance(40_000);
    }
    expect(job.state).toBe('RUNNING');
    expect(node.health).toBe('HEALTHY');
  });

  it('forgets a suspicion when the worker registers again', async () => {
    const { detector, probe, node, nodes, reachable } = setup();
    detector.suspect('w1', 'stream broke');
    nodes.register(registration('w1'), []);
    expect(node.schedulable).toBe(true);
    await probe.answer({ type: 'refused', detail: 'ECONNREFUSED' });
    expect(node.health).toBe('HEALTHY');
    expect(reachable).toEqual([]);
  });
});

describe('retries', () => {
  const failed = {
    succeeded: false,
    reason: 'EXIT_CODE' as const,
    exitCode: 1,
    error: 'exited with code 1',
    startedAtMs: 1,
    finishedAtMs: 2,
    stdoutDroppedBytes: 0,
    stderrDroppedBytes: 0,
    httpResult: null,
    outputLength: 0,
    peakMemoryBytes: 0,
    cpuTimeMs: 0,
  };

  it('waits an exponential backoff between retries, does not charge attempts that never ran, and fails when retries run out', async () => {
    const { clock, cluster, nodes } = clusterSetup();
    nodes.register(registration('w1'), []);
    const node = cluster.registry.get('w1')!;
    const job = await submitOne(cluster, { command: 'false', maxRetries: 2, retryOnFailure: true });
    const run = (): number => cluster.assign(cluster.queue.pop()!, node).number;

    cluster.attemptFinished({ jobId: job.id, attempt: run() }, 'w1', failed);
    expect(job.state).toBe('PENDING');
    expect(job.pendingReason).toMatch(/attempt 1 failed \(EXIT_CODE: exited with code 1\); retrying in 750ms/);
    clock.advance(749);
    expect(cluster.queue.size).toBe(0);
    clock.advance(1);
    expect(cluster.queue.size).toBe(1);

    // Declined by the worker: free, and back in the queue at once.
    cluster.attemptLost({ jobId: job.id, attempt: run() }, 'w1', 'WORKER_LOST', 'the worker is draining', true);
    expect(cluster.queue.size).toBe(1);

    cluster.attemptFinished({ jobId: job.id, attempt: run() }, 'w1', failed);
    clock.advance(1499);
    expect(cluster.queue.size).toBe(0);
    clock.advance(1);
    cluster.attemptFinished({ jobId: job.id, attempt: run() }, 'w1', failed);
    expect(job).toMatchObject({ state: 'FAILED', reason: 'EXIT_CODE', attempts: 4 });
    expect(job.attemptHistory.map((a) => [a.number, a.reason, a.free])).toEqual([
      [1, 'EXIT_CODE', false],
      [2, 'WORKER_LOST', true],
      [3, 'EXIT_CODE', false],
      [4, 'EXIT_CODE', false],
    ]);
  });

  it('does not retry a non-zero exit unless the job asks', async () => {
    const { cluster, nodes } = clusterSetup();
    nodes.register(registration('w1'), []);
    const job = await submitOne(cluster, { command: 'false', maxRetries: 3 });
    const attempt = cluster.assign(cluster.queue.pop()!, cluster.registry.get('w1')!);
    cluster.attemptFinished({ jobId: job.id, attempt: attempt.number }, 'w1', failed);
    expect(job).toMatchObject({ state: 'FAILED', reason: 'EXIT_CODE', attempts: 1 });
  });
});

describe('stalls of the master itself', () => {
  it("PauseLedger subtracts the time the master was stalled from a node's silence", () => {
    const ledger = new PauseLedger(60_000);
    ledger.record(10_000, 4000); // stalled from 6s to 10s
    expect(ledger.silenceSince(0, 12_000)).toBe(8000);
    expect(ledger.silenceSince(8000, 12_000)).toBe(2000); // only the 2s of the stall after the heartbeat
    expect(ledger.silenceSince(10_000, 12_000)).toBe(2000);
  });

  it('a master that wakes up from a stall longer than the heartbeat timeout does not declare its nodes unhealthy', () => {
    const { clock, nodes, cluster } = clusterSetup();
    const health = new HealthController({ nodes, clock, tickMs: 1000 });
    nodes.register(registration('w1'), []);
    health.start();
    clock.advance(2000);
    clock.jump(20_000); // SIGSTOP: nothing ran, heartbeats waited in the socket
    clock.advance(0);
    expect(cluster.registry.get('w1')!.health).toBe('HEALTHY');
    // Real silence still counts.
    clock.advance(15_000);
    expect(cluster.registry.get('w1')!.health).toBe('UNHEALTHY');
    health.stop();
  });
});

describe('retry placement', () => {
  it('sends the retry of an attempt whose node failed to another node, if one can take it', () => {
    const a = makeNode('a');
    const b = makeNode('b');
    const policy = new RoundRobinPolicy();
    const lostOnA = (): Job =>
      makeJob(
        {},
        {
          attempts: 1,
          attemptHistory: [
            {
              number: 1,
              nodeId: 'a',
              dispatchedAtMs: 0,
              startedAtMs: 0,
              finishedAtMs: 1,
              succeeded: false,
              reason: 'WORKER_LOST',
              exitCode: null,
              error: '',
              outputBase: 0,
              free: false,
            },
          ],
        },
      );
    for (let i = 0; i < 4; i += 1) {
      const placement = place(lostOnA(), [a, b], policy);
      expect(placement.type === 'placed' && placement.node.id).toBe('b');
    }
    // Alone, the failed node still gets it.
    const alone = place(lostOnA(), [a], policy);
    expect(alone.type === 'placed' && alone.node.id).toBe('a');
  });

  it('says why a job waits when every suitable node is suspect', () => {
    const a = makeNode('a');
    testNodes.suspect(a, 'the Execute stream broke', 0);
    const placement = place(makeJob(), [a], new RoundRobinPolicy());
    expect(placement).toEqual({
      type: 'wait',
      reason: 'all 1 suitable nodes are out of reach for now (a: suspect: the Execute stream broke)',
    });
  });
});
