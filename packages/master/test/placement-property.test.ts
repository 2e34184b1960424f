import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createPolicy,
  fitsNow,
  NodeRegistry,
  place,
  PlacementIndex,
  POLICY_NAMES,
  type NodeRecord,
} from '@dist-exec/master';
import { seededRandom } from '@dist-exec/testing';
import { applyNodeFlag, checkNotOvercommitted, makeJob, registration, type NodeFlagOp } from './helpers.js';

/** Policies whose choice is a function of the nodes and their own history: the index must pick exactly as the reference does. */
const DETERMINISTIC = new Set(['round-robin', 'least-connections', 'first-fit', 'best-fit']);

type Op =
  | { op: 'add'; cpus: number; memoryGi: number; maxTasks: number; weight: number; gpu: boolean }
  | { op: 'place'; cpu: number; memoryMi: number; gpu: boolean; count: number }
  | { op: 'finish'; pick: number }
  | { op: 'lose'; pick: number }
  | { op: 'forget'; pick: number }
  | NodeFlagOp;

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('add' as const),
      cpus: fc.constantFrom(0, 0.5, 1, 2, 4, 16),
      memoryGi: fc.constantFrom(0, 1, 2, 8),
      maxTasks: fc.integer({ min: 1, max: 6 }),
      weight: fc.integer({ min: 1, max: 5 }),
      gpu: fc.boolean(),
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      op: fc.constant('place' as const),
      cpu: fc.constantFrom(0, 0.1, 0.25, 0.5, 1, 2, 3, 32),
      memoryMi: fc.constantFrom(0, 100, 512, 1024, 4096),
      gpu: fc.boolean(),
      count: fc.integer({ min: 1, max: 8 }),
    }),
  },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('finish' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('lose' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('forget' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('drain' as const), pick: fc.nat(), on: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('health' as const), pick: fc.nat(), healthy: fc.boolean() }) },
);

function run(policyName: string, ops: readonly Op[], random: () => number): void {
  const registry = new NodeRegistry();
  const index = new PlacementIndex(registry, createPolicy(policyName, { random }));
  const reference = createPolicy(policyName, { random });
  const running: Array<{ node: NodeRecord; key: string }> = [];
  let nodes = 0;
  let jobs = 0;
  const pickNode = (n: number): NodeRecord | undefined => {
    const all = [...registry.all()];
    return all.length ? all[n % all.length] : undefined;
  };
  for (const op of ops) {
    switch (op.op) {
      case 'add':
        registry.upsert(
          registration(`n${(nodes += 1)}`, {
            cpus: op.cpus,
            memoryBytes: op.memoryGi * 1024 ** 3,
            maxTasks: op.maxTasks,
            weight: op.weight,
            labels: op.gpu ? { gpu: 'true' } : {},
          }),
          0,
        );
        break;
      case 'place':
        for (let i = 0; i < op.count; i += 1) {
          const job = makeJob({
            cpu: op.cpu,
            memoryBytes: op.memoryMi * 1024 ** 2,
            constraints: op.gpu ? { gpu: 'true' } : {},
          });
          const expected = DETERMINISTIC.has(policyName) ? place(job, registry.all(), reference) : undefined;
          const node = index.place(job);
          if (expected) expect(node?.id ?? 'none').toBe(expected.type === 'placed' ? expected.node.id : 'none');
          if (!node) {
            expect([...registry.all()].some((n) => fitsNow(n, job.spec))).toBe(false);
            break;
          }
          expect(fitsNow(node, job.spec)).toBe(true);
          const key = `j${(jobs += 1)}/1`;
          registry.reserve(node, key, { cpu: job.spec.cpu, memoryBytes: job.spec.memoryBytes });
          running.push({ node, key });
        }
        break;
      case 'finish': {
        if (running.length === 0) break;
        const [done] = running.splice(op.pick % running.length, 1);
        if (done) registry.release(done.node, done.key);
        break;
      }
      case 'lose': {
        // As the node manager does: LOST, its reservations released.
        const node = pickNode(op.pick);
        if (!node) break;
        registry.setHealth(node, 'LOST');
        for (const key of [...node.reservations.keys()]) registry.release(node, key);
        break;
      }
      case 'forget': {
        const node = pickNode(op.pick);
        if (node) registry.delete(node.id);
        break;
      }
      case 'drain':
      case 'health':
        applyNodeFlag(registry, pickNode(op.pick), op);
        break;
    }
    checkNotOvercommitted(registry.all());
    const free = [...registry.all()].reduce((sum, n) => sum + (n.schedulable ? n.freeSlots : 0), 0);
    expect(index.freeSlots).toBe(free);
  }
}

describe('placement properties', () => {
  for (const policy of POLICY_NAMES) {
    it(`${policy}: never over-commits slots, cpu or memory; the index agrees with the reference`, () => {
      fc.assert(
        fc.property(fc.array(opArb, { minLength: 1, maxLength: 120 }), fc.integer(), (ops, seed) => {
          run(policy, ops, seededRandom(seed));
        }),
        { numRuns: 300 },
      );
    });
  }
});
