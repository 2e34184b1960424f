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
 * A tree node's four numbers sit next to each other in one array (half a
 * cache line), so walking a tree of thousands of nodes misses the cache once
 * per level, not four times.
 */
const COUNT = 0;
const CPU = 1;
const MEMORY = 2;
const KEY = 3;
const FIELDS = 4;

export class CapacityTree {
  #size: number;
  readonly #data: Float64Array;

  /** `size` is the number of slots, rounded up to a power of two. */
  constructor(size: number) {
    this.#size = 1;
    while (this.#size < size) this.#size *= 2;
    this.#data = new Float64Array(2 * this.#size * FIELDS);
    for (let i = 0; i < 2 * this.#size; i += 1) this.#empty(i);
  }

  get size(): number {
    return this.#size;
  }

  /** Member nodes in the whole tree. */
  get count(): number {
    return this.#data[FIELDS + COUNT] as number;
  }

  /** The key stored for the slot's node. */
  keyAt(slot: number): number {
    return this.#data[(this.#size + slot) * FIELDS + KEY] as number;
  }

  /** Makes the slot a member with free `cpu` millicores, `memory` bytes (Infinity: not accounted) and `key`. */
  set(slot: number, cpu: number, memory: number, key: number): void {
    const i = this.#size + slot;
    const at = i * FIELDS;
    const data = this.#data;
    data[at + COUNT] = 1;
    data[at + CPU] = cpu;
    data[at + MEMORY] = memory;
    data[at + KEY] = key;
    this.#fixUp(i >> 1);
  }

  /** Makes the slot a non-member. */
  clear(slot: number): void {
    const i = this.#size + slot;
    const at = i * FIELDS;
    if (this.#data[at + COUNT] === 0 && this.#data[at + KEY] === Infinity) return;
    this.#empty(i);
    this.#fixUp(i >> 1);
  }

  #empty(i: number): void {
    const at = i * FIELDS;
    this.#data[at + COUNT] = 0;
    this.#data[at + CPU] = -1;
    this.#data[at + MEMORY] = -1;
    this.#data[at + KEY] = Infinity;
  }

  #fixUp(start: number): void {
    const data = this.#data;
    for (let i = start; i >= 1; i >>= 1) {
      const at = i * FIELDS;
      const l = 2 * at;
      const r = l + FIELDS;
      const count = (data[l + COUNT] as number) + (data[r + COUNT] as number);
      const cpu = Math.max(data[l + CPU] as number, data[r + CPU] as number);
      const memory = Math.max(data[l + MEMORY] as number, data[r + MEMORY] as number);
      const key = Math.min(data[l + KEY] as number, data[r + KEY] as number);
      // Ancestors depend only on their children: once a range is unchanged, so is everything above it.
      if (data[at + COUNT] === count && data[at + CPU] === cpu && data[at + MEMORY] === memory && data[at + KEY] === key) return;
      data[at + COUNT] = count;
      data[at + CPU] = cpu;
      data[at + MEMORY] = memory;
      data[at + KEY] = key;
    }
  }

  #prunes(i: number, cpu: number, memory: number): boolean {
    const at = i * FIELDS;
    const data = this.#data;
    return data[at + COUNT] === 0 || (data[at + CPU] as number) < cpu || (data[at + MEMORY] as number) < memory;
  }

  /** The lowest accepted slot at or after `from` with `cpu` and `memory` free; -1 if none. */
  firstFrom(from: number, cpu: number, memory: number, accept: (slot: number) => boolean): number {
    return this.#firstFrom(1, 0, this.#size, from, cpu, memory, accept);
  }

  // A method rather than a closure: the hottest query allocates nothing.
  #firstFrom(i: number, lo: number, span: number, from: number, cpu: number, memory: number, accept: (slot: number) => boolean): number {
    if (lo + span <= from || this.#prunes(i, cpu, memory)) return -1;
    if (span === 1) return accept(lo) ? lo : -1;
    const half = span >> 1;
    const left = this.#firstFrom(2 * i, lo, half, from, cpu, memory, accept);
    return left >= 0 ? left : this.#firstFrom(2 * i + 1, lo + half, half, from, cpu, memory, accept);
  }

  /**
   * The accepted slot with the lowest `score`, ties to the lowest slot; -1 if
   * none. `bound(minKey)` must not exceed the score of any slot in a range
   * whose lowest key is `minKey` (branch and bound on the stored keys).
   */
  lowest(cpu: number, memory: number, bound: (key: number) => number, score: (slot: number) => number, accept: (slot: number) => boolean): number {
    let best = Infinity;
    let bestSlot = -1;
    const visit = (i: number, lo: number, span: number): void => {
      if (this.#prunes(i, cpu, memory)) return;
      const floor = bound(this.#data[i * FIELDS + KEY] as number);
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
      const half = span >> 1;
      const l = 2 * i;
      if ((this.#data[(l + 1) * FIELDS + KEY] as number) < (this.#data[l * FIELDS + KEY] as number)) {
        visit(l + 1, lo + half, half);
        visit(l, lo, half);
      } else {
        visit(l, lo, half);
        visit(l + 1, lo + half, half);
      }
    };
    visit(1, 0, this.#size);
    return bestSlot;
  }

  /** The member slot with `k` members before it (0-based); -1 if there are not that many. */
  nth(k: number): number {
    if (k < 0 || k >= this.count) return -1;
    let i = 1;
    let rest = k;
    while (i < this.#size) {
      const left = this.#data[2 * i * FIELDS + COUNT] as number;
      if (rest < left) i = 2 * i;
      else {
        rest -= left;
        i = 2 * i + 1;
      }
    }
    return i - this.#size;
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
      const half = span >> 1;
      visit(2 * i, lo, half);
      visit(2 * i + 1, lo + half, half);
    };
    visit(1, 0, this.#size);
    return out;
  }
}
