import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CapacityTree, createPolicy, NodeRegistry, place, PlacementIndex, roundUp32 } from '@dist-exec/master';
import { makeJob, registration } from './helpers.js';

const float = new Float32Array(1);
const bits = new Int32Array(float.buffer);

function isFloat32(x: number): boolean {
  return Number.isNaN(x) || Math.fround(x) === x;
}

/** The float32 right above `r` (itself a float32), for checking that no float32 lies between `x` and its bound. */
function above(r: number): number {
  if (r === 0) return 2 ** -149;
  float[0] = r;
  bits[0] = (bits[0] as number) + (r > 0 ? 1 : -1);
  return float[0] as number;
}

describe('float32 upper bounds', () => {
  it('round up to the least float32 at or above the value', () => {
    const cases: Array<[number, number]> = [
      [0, 0],
      [-1, -1], // an empty range's bound
      [Infinity, Infinity], // a resource the node does not account
      [2 ** 34, 2 ** 34], // 16 GiB: exact
      [2 ** 34 + 1, 2 ** 34 + 2 ** 11], // one byte more than 16 GiB: nearest would be one byte short
      [2 ** 34 - 1, 2 ** 34],
      [2 ** 24 + 1, 2 ** 24 + 2],
      [-(2 ** 24 + 1), -(2 ** 24)], // an over-committed node's free memory
      [Number.MAX_SAFE_INTEGER, 2 ** 53],
      [1e-50, 2 ** -149],
      [-1e-50, -0],
      [3.4028235677973366e38, Infinity], // halfway above the largest float32: nearest is Infinity
      [1e39, Infinity],
    ];
    for (const [x, up] of cases) expect(roundUp32(x), `up ${x}`).toBe(up);
  });

  it('hold for any double: a float32 at or above it, with no float32 between', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.double({ noNaN: true }), fc.integer({ min: -(2 ** 40), max: 2 ** 53 }), fc.maxSafeInteger()),
        (x) => {
          const up = roundUp32(x);
          expect(isFloat32(up)).toBe(true);
          expect(up >= x).toBe(true);
          // x lies between two neighbouring float32s, one of them the nearest: the bound is the upper one.
          const near = Math.fround(x);
          if (up !== x && Number.isFinite(up)) expect(near > x ? near : above(near)).toBe(up);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

type Op = { op: 'set'; slot: number; cpu: number; memory: number; key: number } | { op: 'clear'; slot: number };
type Query = { from: number; cpu: number; memory: number; k: number };

const value = fc.oneof(
  fc.constantFrom(0, 1, 500, 1000, 2 ** 24 + 1, 2 ** 34, 2 ** 34 + 1, 2 ** 34 - 1, Number.MAX_SAFE_INTEGER, Infinity),
  fc.integer({ min: 0, max: 2 ** 36 }),
);
const key = fc.oneof(fc.constantFrom(0, 0.25, 1, 1 + 1 / 3, 2 ** 24 + 1), fc.double({ min: 0, max: 100, noNaN: true }));

describe('capacity tree', () => {
  it('answers every query as a scan of the exact values does, at any size, near float32 edges', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 80 }).chain((size) =>
          fc.tuple(
            fc.constant(size),
            fc.array(
              fc.oneof(
                {
                  weight: 4,
                  arbitrary: fc.record({
                    op: fc.constant('set' as const),
                    slot: fc.nat(size - 1),
                    cpu: value,
                    memory: value,
                    key,
                  }),
                },
                { weight: 1, arbitrary: fc.record({ op: fc.constant('clear' as const), slot: fc.nat(size - 1) }) },
              ),
              { maxLength: 120 },
            ),
            fc.array(fc.record({ from: fc.nat(size), cpu: value, memory: value, k: fc.nat(size) }), {
              minLength: 1,
              maxLength: 10,
            }),
          ),
        ),
        ([size, ops, queries]: [number, Op[], Query[]]) => {
          const values = { free: new Float64Array(2 * size + 8), keys: new Float64Array(size + 4) };
          const tree = new CapacityTree(size, values);
          const exact = new Map<number, { cpu: number; memory: number; key: number }>();
          for (const op of ops) {
            if (op.op === 'set') {
              values.free[2 * op.slot] = op.cpu;
              values.free[2 * op.slot + 1] = op.memory;
              values.keys[op.slot] = op.key;
              tree.update(op.slot, true);
              exact.set(op.slot, op);
            } else {
              // The values of a slot that leaves may change too: the tree must not care.
              values.free[2 * op.slot] = -5;
              tree.update(op.slot, false);
              exact.delete(op.slot);
            }
          }
          const members = [...exact.keys()].sort((a, b) => a - b);
          expect(tree.count).toBe(members.length);
          for (const q of queries) {
            const fits = (slot: number): boolean => {
              const v = exact.get(slot);
              return v !== undefined && v.cpu >= q.cpu && v.memory >= q.memory;
            };
            const feasible = members.filter(fits);
            expect(tree.firstFrom(q.from, q.cpu, q.memory, fits)).toBe(feasible.find((s) => s >= q.from) ?? -1);
            expect(tree.collect(q.cpu, q.memory, fits)).toEqual(feasible);
            let best = -1;
            for (const s of feasible)
              if (best < 0 || (exact.get(s)?.key as number) < (exact.get(best)?.key as number)) best = s;
            expect(
              tree.lowest(
                q.cpu,
                q.memory,
                (k) => k,
                (s) => tree.keyAt(s),
                fits,
              ),
            ).toBe(best);
            expect(tree.nth(q.k)).toBe(members[q.k] ?? -1);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('finds a node with exactly the memory asked for, where rounding to nearest would lose it', () => {
    const values = { free: new Float64Array(8), keys: new Float64Array(4) };
    const tree = new CapacityTree(4, values);
    const memory = 2 ** 34 + 1; // Math.fround gives 2 ** 34, one byte short
    values.free.set([1000, memory], 4);
    tree.update(2, true);
    expect(tree.firstFrom(0, 1000, memory, () => true)).toBe(2);
    expect(tree.firstFrom(0, 1000, memory + 1, (slot) => slot !== 2)).toBe(-1);
  });

  it('an unkeyed tree ranks every member alike', () => {
    const values = { free: new Float64Array(32).fill(1), keys: new Float64Array(16) };
    const tree = new CapacityTree(10, values, false);
    values.keys[7] = 5;
    values.keys[3] = 9;
    tree.update(7, true);
    tree.update(3, true);
    expect(tree.keyAt(7)).toBe(0);
    expect(
      tree.lowest(
        0,
        0,
        (k) => k,
        (s) => tree.keyAt(s),
        () => true,
      ),
    ).toBe(3);
  });
});

describe('placement index over the tree', () => {
  it('follows a node whose labels change, for a selector made before and one made after', () => {
    const registry = new NodeRegistry();
    const index = new PlacementIndex(registry, createPolicy('round-robin'));
    const reference = createPolicy('round-robin');
    registry.upsert(registration('a', { labels: { zone: 'a' } }), 0);
    registry.upsert(registration('b', { labels: { zone: 'b' } }), 0);
    const zoneA = () => makeJob({ constraints: { zone: 'a' } });
    const agree = (job = zoneA()): string | undefined => {
      const expected = place(job, registry.all(), reference);
      const got = index.place(job)?.id;
      expect(got ?? 'none').toBe(expected.type === 'placed' ? expected.node.id : 'none');
      return got;
    };
    expect(agree()).toBe('a');
    registry.upsert(registration('a', { labels: { zone: 'c' } }), 0);
    expect(agree()).toBeUndefined();
    registry.upsert(registration('b', { labels: { zone: 'a' } }), 0);
    expect(agree()).toBe('b');
    expect(agree(makeJob({ constraints: { zone: 'c' } }))).toBe('a');
  });
});
