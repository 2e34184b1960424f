import { toMilliCpus, type NodeRecord } from '../nodes/node-record.js';
import { CapacityTree } from './capacity-tree.js';
import type { JobNeeds } from './filter.js';
import type { FeasibleNodes, Rank } from './policy.js';

const SAMPLE_TRIES = 32;

/**
 * `FeasibleNodes` answered from a `CapacityTree`. The tree prunes on bounds;
 * each candidate it reaches is confirmed exactly: the index keeps a slot a
 * member only while its node is schedulable and matches the selector, and
 * `free` holds each slot's exact free cpu and memory, so the check is
 * `fitsNow` without reading the node.
 */
export class TreeFeasible implements FeasibleNodes {
  #slots: readonly (NodeRecord | undefined)[] = [];
  #orders: readonly number[] = [];
  #free: Float64Array = new Float64Array(0);
  #tree = new CapacityTree(1, { free: new Float64Array(8), keys: new Float64Array(4) }, false);
  #cpu = 0;
  #memory = 0;
  #exclude = -1;
  /** -2: not asked yet. */
  #first = -2;
  // The tree only reaches member slots: schedulable nodes that offer the
  // type and labels. What is left of `fitsNow` is the exact free cpu and memory.
  readonly #accept = (slot: number): boolean =>
    slot !== this.#exclude &&
    this.#cpu <= (this.#free[2 * slot] as number) &&
    this.#memory <= (this.#free[2 * slot + 1] as number);

  /**
   * Points the view at one query (the index reuses one view, so a decision
   * allocates nothing): `free` holds each slot's exact free cpu and memory,
   * `excludeSlot` is a slot to leave out (-1: none).
   */
  reset(
    slots: readonly (NodeRecord | undefined)[],
    orders: readonly number[],
    free: Float64Array,
    tree: CapacityTree,
    spec: JobNeeds,
    excludeSlot: number,
  ): this {
    this.#slots = slots;
    this.#orders = orders;
    this.#free = free;
    this.#tree = tree;
    this.#cpu = toMilliCpus(spec.cpu);
    this.#memory = spec.memoryBytes;
    this.#exclude = excludeSlot;
    this.#first = -2;
    return this;
  }

  /** The first feasible slot, or -1 (cached: it answers both "is there any" and first-fit). */
  first(): number {
    if (this.#first === -2) this.#first = this.#tree.firstFrom(0, this.#cpu, this.#memory, this.#accept);
    return this.#first;
  }

  #node(slot: number): NodeRecord {
    return this.#slots[slot] as NodeRecord;
  }

  firstFrom(fromOrder: number): NodeRecord | undefined {
    const from = lowerBound(this.#orders, fromOrder);
    const slot = from === 0 ? this.first() : this.#tree.firstFrom(from, this.#cpu, this.#memory, this.#accept);
    return slot >= 0 ? this.#node(slot) : undefined;
  }

  lowest(rank?: Rank): NodeRecord | undefined {
    const tree = this.#tree;
    const slot = rank
      ? tree.lowest(this.#cpu, this.#memory, rank.bound, (s) => rank.score(this.#node(s), tree.keyAt(s)), this.#accept)
      : tree.lowest(
          this.#cpu,
          this.#memory,
          (key) => key,
          (s) => tree.keyAt(s),
          this.#accept,
        );
    // A score that never compares (NaN) finds nothing: any feasible node beats none.
    const found = slot >= 0 ? slot : this.first();
    return found >= 0 ? this.#node(found) : undefined;
  }

  sample(random: () => number): NodeRecord | undefined {
    // Sampling cannot tell "none feasible" from bad luck: ask first (one descent).
    if (this.first() < 0) return undefined;
    // Uniform over the members, kept only if feasible: uniform over the feasible ones.
    for (let i = 0; i < SAMPLE_TRIES; i += 1) {
      const slot = this.#tree.nth(Math.floor(random() * this.#tree.count));
      if (slot >= 0 && this.#accept(slot)) return this.#node(slot);
    }
    const feasible = this.#tree.collect(this.#cpu, this.#memory, this.#accept);
    return this.#node(feasible[Math.min(feasible.length - 1, Math.floor(random() * feasible.length))] as number);
  }
}

/** First index whose value is at least `value` (values ascending, distinct integers). */
function lowerBound(values: readonly number[], value: number): number {
  // Orders have no gaps until nodes leave: try where `value` sits then, one probe instead of a search.
  const guess = value - (values[0] ?? 0);
  if (guess >= 0 && guess < values.length && values[guess] === value) return guess;
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((values[mid] as number) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
