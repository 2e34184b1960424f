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
 */
export class CapacityTree {
  #size: number;
  #count: Int32Array;
  #cpu: Float64Array;
  #memory: Float64Array;
  #key: Float64Array;

  /** `size` is the number of slots, rounded up to a power of two. */
  constructor(size: number) {
    this.#size = 1;
    while (this.#size < size) this.#size *= 2;
    this.#count = new Int32Array(2 * this.#size);
    this.#cpu = new Float64Array(2 * this.#size).fill(-1);
    this.#memory = new Float64Array(2 * this.#size).fill(-1);
    this.#key = new Float64Array(2 * this.#size).fill(Infinity);
  }

  get size(): number {
    return this.#size;
  }

  /** Member nodes in the whole tree. */
  get count(): number {
    return this.#count[1] as number;
  }

  /** The key stored for the slot's node. */
  keyAt(slot: number): number {
    return this.#key[this.#size + slot] as number;
  }

  /** Makes the slot a member with free `cpu` millicores, `memory` bytes (Infinity: not accounted) and `key`. */
  set(slot: number, cpu: number, memory: number, key: number): void {
    const i = this.#size + slot;
    this.#count[i] = 1;
    this.#cpu[i] = cpu;
    this.#memory[i] = memory;
    this.#key[i] = key;
    this.#fixUp(i >> 1);
  }

  /** Makes the slot a non-member. */
  clear(slot: number): void {
    const i = this.#size + slot;
    if (this.#count[i] === 0 && this.#key[i] === Infinity) return;
    this.#count[i] = 0;
    this.#cpu[i] = -1;
    this.#memory[i] = -1;
    this.#key[i] = Infinity;
    this.#fixUp(i >> 1);
  }

  #fixUp(start: number): void {
    for (let i = start; i >= 1; i >>= 1) {
      const l = 2 * i;
      const r = l + 1;
      this.#count[i] = (this.#count[l] as number) + (this.#count[r] as number);
      this.#cpu[i] = Math.max(this.#cpu[l] as number, this.#cpu[r] as number);
      this.#memory[i] = Math.max(this.#memory[l] as number, this.#memory[r] as number);
      this.#key[i] = Math.min(this.#key[l] as number, this.#key[r] as number);
    }
  }

  #prunes(i: number, cpu: number, memory: number): boolean {
    return this.#count[i] === 0 || (this.#cpu[i] as number) < cpu || (this.#memory[i] as number) < memory;
  }

  /** The lowest accepted slot at or after `from` with `cpu` and `memory` free; -1 if none. */
  firstFrom(from: number, cpu: number, memory: number, accept: (slot: number) => boolean): number {
    const visit = (i: number, lo: number, span: number): number => {
      if (lo + span <= from || this.#prunes(i, cpu, memory)) return -1;
      if (span === 1) return accept(lo) ? lo : -1;
      const half = span >> 1;
      const left = visit(2 * i, lo, half);
      return left >= 0 ? left : visit(2 * i + 1, lo + half, half);
    };
    return visit(1, 0, this.#size);
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
      const floor = bound(this.#key[i] as number);
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
      if ((this.#key[l + 1] as number) < (this.#key[l] as number)) {
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
      const left = this.#count[2 * i] as number;
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
