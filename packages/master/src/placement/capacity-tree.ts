import { roundUp32 } from './float32-bounds.js';

/**
 * A segment tree over node slots (slots are in registration order). Each
 * range keeps how many member nodes it has, the most free cpu and memory on
 * any one of them, and the lowest policy key, so placement queries skip
 * whole ranges that cannot hold the answer: a query costs O(log n) unless
 * the free cpu and memory it prunes on sit on different nodes.
 *
 * The slots' own values live outside the tree, shared by every tree of an
 * index (`SlotValues`: exact free cpu, memory and key per slot); a tree only
 * knows which slots are its members (schedulable nodes matching its
 * selector). The tree only prunes; every member a query reaches is confirmed
 * by the caller's `accept`, the exact check.
 *
 * Laid out for the cache, since at thousands of nodes a query's time is
 * mostly cache misses: the tree is 4-ary (half the levels of a binary one)
 * and its bottom level covers blocks of 4 slots, read straight from the
 * shared values (one 64-byte line for a block's free cpu and memory), so a
 * tree of 16,384 slots is 150 KiB, not the 1 MiB a binary tree of doubles
 * with a leaf per slot took. A tree node's count and capacity bounds are
 * 32-bit floats side by side (16 bytes with a spare), and the four children
 * of a node are adjacent and start on a multiple of four nodes, so a level
 * of a descent or of an update reads one line. Float32 cannot hold every
 * byte count exactly, so the bounds are rounded up: pruning on them never
 * drops a range that holds an answer. Keys stay exact doubles in an array of
 * their own, kept only by a keyed tree: rounded keys would tie with the best
 * answer less often (think of passes in steps of 1/3), and a range that
 * might tie cannot be pruned.
 */
const COUNT = 0;
const CPU = 1;
const MEMORY = 2;
const FIELDS = 4;
const ARITY = 4;

/** Exact values per slot, written by the index before it tells its trees about a change. */
export interface SlotValues {
  /** Free millicores and bytes (Infinity: not accounted), side by side: slot s at 2s and 2s + 1. */
  free: Float64Array;
  /** The policy's key of each slot's node (read only by keyed trees). */
  keys: Float64Array;
}

/** Index of the first child of tree node `i` (the root is 0; nodes 1-3 are padding that keeps sibling groups aligned). */
function firstChild(i: number): number {
  return ARITY * i + ARITY;
}

function parentOf(i: number): number {
  return (i >> 2) - 1;
}

export class CapacityTree {
  /** Slots covered: the number asked for, rounded up to a power of four (at least 4). */
  readonly #size: number;
  /** Index of the first bottom node (each covers 4 slots). */
  readonly #bottom: number;
  readonly #data: Float32Array;
  /** The lowest key in each tree node's range; empty when the tree is not keyed. */
  readonly #minKeys: Float64Array;
  readonly #member: Uint8Array;
  readonly #free: Float64Array;
  readonly #keys: Float64Array;

  /**
   * `size` is the number of slots. A tree that is not `keyed` (its policy
   * ranks nothing) keeps every key at 0 and has no keys' array: one less
   * cache line per level of an update.
   */
  constructor(size: number, values: SlotValues, keyed = true) {
    let slots = ARITY;
    let bottom = 0;
    while (slots < size) {
      slots *= ARITY;
      bottom = ARITY * bottom + ARITY;
    }
    const nodes = bottom + slots / ARITY;
    this.#size = slots;
    this.#bottom = bottom;
    this.#data = new Float32Array(nodes * FIELDS);
    for (let i = 0; i < nodes; i += 1) {
      this.#data[i * FIELDS + CPU] = -1;
      this.#data[i * FIELDS + MEMORY] = -1;
    }
    this.#minKeys = keyed ? new Float64Array(nodes).fill(Infinity) : new Float64Array(0);
    this.#member = new Uint8Array(slots);
    this.#free = values.free;
    this.#keys = values.keys;
  }

  get size(): number {
    return this.#size;
  }

  /** Member nodes in the whole tree. */
  get count(): number {
    return this.#data[COUNT] as number;
  }

  /** The key of the slot's node (0 in a tree that is not keyed). */
  keyAt(slot: number): number {
    return this.#minKeys.length > 0 ? (this.#keys[slot] as number) : 0;
  }

  /** The slot's values changed, or whether it is a member: bring the tree up to date. */
  update(slot: number, member: boolean): void {
    // A slot that stays out changes nothing here.
    if (!member && this.#member[slot] === 0) return;
    this.#member[slot] = member ? 1 : 0;
    const i = this.#bottom + (slot >> 2);
    const base = slot & ~3;
    const free = this.#free;
    const keyed = this.#minKeys.length > 0;
    let count = 0;
    let cpu = -1;
    let memory = -1;
    let key = Infinity;
    for (let s = base; s < base + ARITY; s += 1) {
      if (this.#member[s] === 0) continue;
      count += 1;
      cpu = Math.max(cpu, free[2 * s] as number);
      memory = Math.max(memory, free[2 * s + 1] as number);
      if (keyed) key = Math.min(key, this.#keys[s] as number);
    }
    if (this.#store(i, count, roundUp32(cpu), roundUp32(memory), key)) this.#fixUp(parentOf(i));
  }

  /** Stores a tree node's values; false if they were already there. */
  #store(i: number, count: number, cpu: number, memory: number, key: number): boolean {
    const data = this.#data;
    const at = i * FIELDS;
    const keyed = this.#minKeys.length > 0;
    if (
      data[at + COUNT] === count &&
      data[at + CPU] === cpu &&
      data[at + MEMORY] === memory &&
      (!keyed || this.#minKeys[i] === key)
    )
      return false;
    data[at + COUNT] = count;
    data[at + CPU] = cpu;
    data[at + MEMORY] = memory;
    if (keyed) this.#minKeys[i] = key;
    return true;
  }

  #fixUp(start: number): void {
    const data = this.#data;
    const keys = this.#minKeys;
    const keyed = keys.length > 0;
    // Ancestors depend only on their children: once a range is unchanged, so is everything above it.
    for (let i = start; i >= 0; i = parentOf(i)) {
      const first = firstChild(i);
      const c = first * FIELDS;
      const d = c + FIELDS;
      const e = d + FIELDS;
      const f = e + FIELDS;
      const count =
        (data[c + COUNT] as number) +
        (data[d + COUNT] as number) +
        (data[e + COUNT] as number) +
        (data[f + COUNT] as number);
      const cpu = Math.max(
        data[c + CPU] as number,
        data[d + CPU] as number,
        data[e + CPU] as number,
        data[f + CPU] as number,
      );
      const memory = Math.max(
        data[c + MEMORY] as number,
        data[d + MEMORY] as number,
        data[e + MEMORY] as number,
        data[f + MEMORY] as number,
      );
      const key = keyed
        ? Math.min(
            keys[first] as number,
            keys[first + 1] as number,
            keys[first + 2] as number,
            keys[first + 3] as number,
          )
        : 0;
      if (!this.#store(i, count, cpu, memory, key)) return;
    }
  }

  #prunes(i: number, cpu: number, memory: number): boolean {
    const at = i * FIELDS;
    const data = this.#data;
    return data[at + COUNT] === 0 || (data[at + CPU] as number) < cpu || (data[at + MEMORY] as number) < memory;
  }

  /** The lowest accepted member slot at or after `from` with `cpu` and `memory` free; -1 if none. */
  firstFrom(from: number, cpu: number, memory: number, accept: (slot: number) => boolean): number {
    return this.#firstFrom(0, 0, this.#size, from, cpu, memory, accept);
  }

  // A method rather than a closure: the hottest query allocates nothing.
  #firstFrom(
    i: number,
    lo: number,
    span: number,
    from: number,
    cpu: number,
    memory: number,
    accept: (slot: number) => boolean,
  ): number {
    if (lo + span <= from || this.#prunes(i, cpu, memory)) return -1;
    if (span === ARITY) {
      for (let s = Math.max(lo, from); s < lo + ARITY; s += 1) if (this.#member[s] === 1 && accept(s)) return s;
      return -1;
    }
    const quarter = span >> 2;
    const child = firstChild(i);
    for (let k = 0; k < ARITY; k += 1) {
      const found = this.#firstFrom(child + k, lo + k * quarter, quarter, from, cpu, memory, accept);
      if (found >= 0) return found;
    }
    return -1;
  }

  /**
   * The accepted member slot with the lowest `score`, ties to the lowest
   * slot; -1 if none. `bound(minKey)` must not exceed the score of any slot
   * in a range whose lowest key is `minKey` (branch and bound on the keys).
   */
  lowest(
    cpu: number,
    memory: number,
    bound: (key: number) => number,
    score: (slot: number) => number,
    accept: (slot: number) => boolean,
  ): number {
    const keys = this.#minKeys;
    const keyed = keys.length > 0;
    const member = this.#member;
    let best = Infinity;
    let bestSlot = -1;
    const visit = (i: number, lo: number, span: number): void => {
      if (this.#prunes(i, cpu, memory)) return;
      const floor = bound(keyed ? (keys[i] as number) : 0);
      if (floor > best || (floor === best && lo > bestSlot)) return;
      if (span === ARITY) {
        for (let s = lo; s < lo + ARITY; s += 1) {
          if (member[s] === 0 || !accept(s)) continue;
          const value = score(s);
          if (value < best || (value === best && s < bestSlot)) {
            best = value;
            bestSlot = s;
          }
        }
        return;
      }
      const quarter = span >> 2;
      const child = firstChild(i);
      // The child holding the lowest key first: a good answer early prunes the rest.
      let low = 0;
      if (keyed)
        for (let k = 1; k < ARITY; k += 1) if ((keys[child + k] as number) < (keys[child + low] as number)) low = k;
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
    while (i < this.#bottom) {
      let child = firstChild(i);
      for (
        let left = data[child * FIELDS + COUNT] as number;
        rest >= left;
        left = data[child * FIELDS + COUNT] as number
      ) {
        rest -= left;
        child += 1;
      }
      i = child;
    }
    for (let s = (i - this.#bottom) * ARITY; ; s += 1) {
      if (this.#member[s] === 0) continue;
      if (rest === 0) return s;
      rest -= 1;
    }
  }

  /** Every accepted member slot with `cpu` and `memory` free, in slot order. */
  collect(cpu: number, memory: number, accept: (slot: number) => boolean): number[] {
    const out: number[] = [];
    const visit = (i: number, lo: number, span: number): void => {
      if (this.#prunes(i, cpu, memory)) return;
      if (span === ARITY) {
        for (let s = lo; s < lo + ARITY; s += 1) if (this.#member[s] === 1 && accept(s)) out.push(s);
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
