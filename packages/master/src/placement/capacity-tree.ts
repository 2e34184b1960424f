import { roundUp32 } from './float32-bounds.js';

/**
 * A segment tree over node slots (slots are in registration order). Each
 * range keeps how many member nodes it has, the most free cpu and memory on
 * any one of them, and the lowest policy key, so placement queries skip
 * whole ranges that cannot hold the answer: a query costs O(log n) unless
 * the free cpu and memory it prunes on sit on different nodes.
 *
 * The tree only prunes; every candidate it reaches is confirmed by the
 * caller's `accept`, the exact filter. A leaf is a member when its node is
 * schedulable and matches the tree's selector.
 *
 * Laid out for the cache, since at thousands of nodes a query's time is
 * mostly cache misses: the tree is 4-ary (half the levels of a binary one),
 * a tree node's count and capacity bounds are 32-bit floats side by side (16
 * bytes with a spare), and the four children of a node are adjacent and
 * start on a multiple of four nodes, so a level of a descent or of an update
 * reads one 64-byte line. Float32 cannot hold every byte count exactly, so
 * the free cpu and memory are stored rounded up: pruning on them never drops
 * a range that holds an answer, and `accept` checks the exact values. Keys
 * stay exact doubles in an array of their own, kept only by a keyed tree:
 * rounded keys would tie with the best answer less often (think of passes
 * in steps of 1/3), and a range that might tie cannot be pruned.
 */
const COUNT = 0;
const CPU = 1;
const MEMORY = 2;
const FIELDS = 4;
const ARITY = 4;

/** Index of the first child of tree node `i` (the root is 0; nodes 1-3 are padding that keeps sibling groups aligned). */
function firstChild(i: number): number {
  return ARITY * i + ARITY;
}

function parentOf(i: number): number {
  return (i >> 2) - 1;
}

export class CapacityTree {
  /** Leaves: the number of slots, rounded up to a power of four (at least 4). */
  readonly #size: number;
  /** Index of the first leaf. */
  readonly #leaves: number;
  readonly #data: Float32Array;
  /** The lowest key in each tree node's range (a leaf's: its slot's key); empty when the tree is not keyed. */
  readonly #keys: Float64Array;

  /**
   * `size` is the number of slots, rounded up to a power of four. A tree
   * that is not `keyed` (its policy ranks nothing) keeps every key at 0 and
   * has no keys' array: one less cache line per level of an update.
   */
  constructor(size: number, keyed = true) {
    let leaves = ARITY;
    let first = ARITY;
    while (leaves < size) {
      leaves *= ARITY;
      first = ARITY * first + ARITY;
    }
    this.#size = leaves;
    this.#leaves = first;
    this.#data = new Float32Array((first + leaves) * FIELDS);
    for (let i = 0; i < first + leaves; i += 1) this.#empty(i);
    this.#keys = keyed ? new Float64Array(first + leaves).fill(Infinity) : new Float64Array(0);
  }

  get size(): number {
    return this.#size;
  }

  /** Member nodes in the whole tree. */
  get count(): number {
    return this.#data[COUNT] as number;
  }

  /** The key stored for the slot's node. */
  keyAt(slot: number): number {
    return this.#keys.length > 0 ? (this.#keys[this.#leaves + slot] as number) : 0;
  }

  /** Makes the slot a member with free `cpu` millicores, `memory` bytes (Infinity: not accounted) and `key`. */
  set(slot: number, cpu: number, memory: number, key: number): void {
    const i = this.#leaves + slot;
    const at = i * FIELDS;
    const data = this.#data;
    if (this.#keys.length > 0) this.#keys[i] = key;
    data[at + COUNT] = 1;
    data[at + CPU] = roundUp32(cpu);
    data[at + MEMORY] = roundUp32(memory);
    this.#fixUp(parentOf(i));
  }

  /** Makes the slot a non-member. */
  clear(slot: number): void {
    const i = this.#leaves + slot;
    const at = i * FIELDS;
    if (this.#data[at + COUNT] === 0) return;
    if (this.#keys.length > 0) this.#keys[i] = Infinity;
    this.#empty(i);
    this.#fixUp(parentOf(i));
  }

  #empty(i: number): void {
    const at = i * FIELDS;
    this.#data[at + COUNT] = 0;
    this.#data[at + CPU] = -1;
    this.#data[at + MEMORY] = -1;
  }

  #fixUp(start: number): void {
    const data = this.#data;
    const keys = this.#keys;
    const keyed = keys.length > 0;
    for (let i = start; i >= 0; i = parentOf(i)) {
      const at = i * FIELDS;
      const first = firstChild(i);
      const c = first * FIELDS;
      const d = c + FIELDS;
      const e = d + FIELDS;
      const f = e + FIELDS;
      const count = (data[c + COUNT] as number) + (data[d + COUNT] as number) + (data[e + COUNT] as number) + (data[f + COUNT] as number);
      const cpu = Math.max(data[c + CPU] as number, data[d + CPU] as number, data[e + CPU] as number, data[f + CPU] as number);
      const memory = Math.max(data[c + MEMORY] as number, data[d + MEMORY] as number, data[e + MEMORY] as number, data[f + MEMORY] as number);
      const key = keyed ? Math.min(keys[first] as number, keys[first + 1] as number, keys[first + 2] as number, keys[first + 3] as number) : 0;
      // Ancestors depend only on their children: once a range is unchanged, so is everything above it.
      if (data[at + COUNT] === count && data[at + CPU] === cpu && data[at + MEMORY] === memory && (!keyed || keys[i] === key)) return;
      data[at + COUNT] = count;
      data[at + CPU] = cpu;
      data[at + MEMORY] = memory;
      if (keyed) keys[i] = key;
    }
  }

  #prunes(i: number, cpu: number, memory: number): boolean {
    const at = i * FIELDS;
    const data = this.#data;
    return data[at + COUNT] === 0 || (data[at + CPU] as number) < cpu || (data[at + MEMORY] as number) < memory;
  }

  /** The lowest accepted slot at or after `from` with `cpu` and `memory` free; -1 if none. */
  firstFrom(from: number, cpu: number, memory: number, accept: (slot: number) => boolean): number {
    return this.#firstFrom(0, 0, this.#size, from, cpu, memory, accept);
  }

  // A method rather than a closure: the hottest query allocates nothing.
  #firstFrom(i: number, lo: number, span: number, from: number, cpu: number, memory: number, accept: (slot: number) => boolean): number {
    if (lo + span <= from || this.#prunes(i, cpu, memory)) return -1;
    if (span === 1) return accept(lo) ? lo : -1;
    const quarter = span >> 2;
    const child = firstChild(i);
    for (let k = 0; k < ARITY; k += 1) {
      const found = this.#firstFrom(child + k, lo + k * quarter, quarter, from, cpu, memory, accept);
      if (found >= 0) return found;
    }
    return -1;
  }

  /**
   * The accepted slot with the lowest `score`, ties to the lowest slot; -1 if
   * none. `bound(minKey)` must not exceed the score of any slot in a range
   * whose lowest key is `minKey` (branch and bound on the stored keys).
   */
  lowest(cpu: number, memory: number, bound: (key: number) => number, score: (slot: number) => number, accept: (slot: number) => boolean): number {
    const keys = this.#keys;
    const keyed = keys.length > 0;
    let best = Infinity;
    let bestSlot = -1;
    const visit = (i: number, lo: number, span: number): void => {
      if (this.#prunes(i, cpu, memory)) return;
      const floor = bound(keyed ? (keys[i] as number) : 0);
      if (floor > best || (floor === best && lo > bestSlot)) return;
      if (span === 1) {
        if (!accept(lo)) return;
        const s = score(lo);
        if (s < best || (s === best && lo < bestSlot)) {
          best = s;
          bestSlot = lo;
        }
        return;
      }
      const quarter = span >> 2;
      const child = firstChild(i);
      // The child holding the lowest key first: a good answer early prunes the rest.
      let low = 0;
      if (keyed) for (let k = 1; k < ARITY; k += 1) if ((keys[child + k] as number) < (keys[child + low] as number)) low = k;
      visit(child + low, lo + low * quarter, quarter);
      for (let k = 0; k < ARITY; k += 1) if (k !== low) visit(child + k, lo + k * quarter, quarter);
    };
    visit(0, 0, this.#size);
    return bestSlot;
  }

  /** The member slot with `k` members before it (0-based); -1 if there are not that many. */
  nth(k: number): number {
    if (k < 0 || k >= this.count) return -1;
    const data = this.#data;
    let i = 0;
    let rest = k;
    while (i < this.#leaves) {
      let child = firstChild(i);
      for (let left = data[child * FIELDS + COUNT] as number; rest >= left; left = data[child * FIELDS + COUNT] as number) {
        rest -= left;
        child += 1;
      }
      i = child;
    }
    return i - this.#leaves;
  }

  /** Every accepted slot with `cpu` and `memory` free, in slot order. */
  collect(cpu: number, memory: number, accept: (slot: number) => boolean): number[] {
    const out: number[] = [];
    const visit = (i: number, lo: number, span: number): void => {
      if (this.#prunes(i, cpu, memory)) return;
      if (span === 1) {
        if (accept(lo)) out.push(lo);
        return;
      }
      const quarter = span >> 2;
      const child = firstChild(i);
      for (let k = 0; k < ARITY; k += 1) visit(child + k, lo + k * quarter, quarter);
    };
    visit(0, 0, this.#size);
    return out;
  }
}
