import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AttemptRef, JobSpecInput } from '@dist-exec/core';
import {
  ClusterState,
  createPolicy,
  fitsNow,
  MemoryStore,
  NodeRegistry,
  RetryController,
  Scheduler,
  type NodeRecord,
} from '@dist-exec/master';
import { attemptResult, FakeClock, testLogger } from '@dist-exec/testing';
import { applyNodeFlag, checkNotOvercommitted, registration, type NodeFlagOp } from './helpers.js';

type Op =
  | { op: 'add'; cpus: number; memoryGi: number; maxTasks: number; gpu: boolean }
  | { op: 'submit'; cpu: number; memoryMi: number; gpu: boolean; priority: number; count: number }
  | { op: 'finish'; pick: number }
  | { op: 'lose'; pick: number }
  | NodeFlagOp
  | { op: 'relabel'; pick: number; gpu: boolean };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('add' as const),
      cpus: fc.constantFrom(0, 1, 2, 4),
      memoryGi: fc.constantFrom(0, 1, 4),
      maxTasks: fc.integer({ min: 1, max: 6 }),
      gpu: fc.boolean(),
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant('submit' as const),
      cpu: fc.constantFrom(0, 0.5, 1, 2, 3, 8),
      memoryMi: fc.constantFrom(0, 256, 1024, 3072),
      gpu: fc.boolean(),
      priority: fc.integer({ min: -1, max: 2 }),
      count: fc.integer({ min: 1, max: 6 }),
    }),
  },
  { weight: 6, arbitrary: fc.record({ op: fc.constant('finish' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('lose' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('drain' as const), pick: fc.nat(), on: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('health' as const), pick: fc.nat(), healthy: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('relabel' as const), pick: fc.nat(), gpu: fc.boolean() }) },
);

/**
 * Drives a real ClusterState and Scheduler through random changes, with a
 * pass after each, and checks the pass left nothing placeable behind: the
 * classes it skips without asking the placement index (because they, or a
 * class they need at least as much as, failed earlier) must truly fit no node.
 */
async function run(policyName: string, ops: readonly Op[]): Promise<void> {
  const clock = new FakeClock();
  const cluster = new ClusterState({
    store: new MemoryStore(),
    registry: new NodeRegistry(),
    retries: new RetryController({ clock, backoff: { baseMs: 0, capMs: 0 } }),
    clock,
    logger: testLogger(),
    limits: {},
    maxQueue: 10_000,
  });
  const running: Array<AttemptRef & { nodeId: string }> = [];
  const scheduler = new Scheduler({
    cluster,
    policy: createPolicy(policyName, { random: () => 0.5 }),
    clock,
    logger: testLogger(),
    dispatch: (job, attempt, node) => running.push({ jobId: job.id, attempt: attempt.number, nodeId: node.id }),
  });
  let nodes = 0;
  const pickNode = (n: number): NodeRecord | undefined => {
    const all = [...cluster.registry.all()];
    return all.length ? all[n % all.length] : undefined;
  };
  for (const op of ops) {
    switch (op.op) {
      case 'add':
        cluster.registry.upsert(
          registration(`n${(nodes += 1)}`, {
            cpus: op.cpus,
            memoryBytes: op.memoryGi * 1024 ** 3,
            maxTasks: op.maxTasks,
            labels: op.gpu ? { gpu: 'true' } : {},
          }),
          clock.now(),
        );
        break;
      case 'submit': {
        const spec: JobSpecInput = {
          command: 'true',
          cpu: op.cpu,
          memoryBytes: op.memoryMi * 1024 ** 2,
          priority: op.priority,
          constraints: op.gpu ? { gpu: 'true' } : {},
        };
        await cluster.submit(Array.from({ length: op.count }, () => spec));
        break;
      }
      case 'finish': {
        if (running.length === 0) break;
        const [done] = running.splice(op.pick % running.length, 1);
        if (done) cluster.attemptFinished(done, done.nodeId, attemptResult());
        break;
      }
      case 'lose': {
        const node = pickNode(op.pick);
        if (!node) break;
        cluster.registry.setHealth(node, 'UNHEALTHY');
        for (const ref of running.filter((r) => r.nodeId === node.id)) {
          cluster.attemptLost(ref, node.id, 'WORKER_LOST', 'lost', true);
          cluster.release(ref, node.id);
        }
        running.splice(0, running.length, ...running.filter((r) => r.nodeId !== node.id));
        break;
      }
      case 'drain':
      case 'health':
        applyNodeFlag(cluster.registry, pickNode(op.pick), op);
        break;
      case 'relabel': {
        const node = pickNode(op.pick);
        if (node)
          cluster.registry.upsert(
            registration(node.id, {
              cpus: node.milliCpus / 1000,
              memoryBytes: node.memoryBytes,
              maxTasks: node.maxTasks,
              labels: op.gpu ? { gpu: 'true' } : {},
            }),
            clock.now(),
          );
        break;
      }
    }
    scheduler.pass();
    for (const job of cluster.activeJobs()) {
      if (job.state !== 'PENDING') continue;
      const room = [...cluster.registry.all()].find((node) => fitsNow(node, job.spec));
      expect(
        room?.id,
        `job ${job.id} (cpu ${job.spec.cpu}, memory ${job.spec.memoryBytes}, ${JSON.stringify(job.spec.constraints)}) left queued`,
      ).toBeUndefined();
    }
    checkNotOvercommitted(cluster.registry.all());
  }
  cluster.stop();
}

describe('scheduler properties', () => {
  for (const policy of ['round-robin', 'first-fit', 'best-fit']) {
    it(`${policy}: a pass leaves no queued job that some node could take, and over-commits nothing`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 80 }), async (ops) => run(policy, ops)),
        { numRuns: 200 },
      );
    });
  }
});
