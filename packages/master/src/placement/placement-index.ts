import type { Job, JobSpec } from '@dist-exec/core';
import { toMilliCpus, type NodeRecord, type NodeRegistry } from '../registry.js';
import { CapacityTree } from './capacity-tree.js';
import { explain } from './explain.js';
import { fitsNow, matchesSelector, nodeToAvoid, requirementKey, selectorKey, type JobNeeds } from './filter.js';
import type { FeasibleNodes, PlacementPolicy, Rank, Unplaced } from './policy.js';

/** Distinct selectors (executor type + constraints) kept indexed; the least recently used beyond are dropped. */
export const MAX_SELECTORS = 64;
const SAMPLE_TRIES = 32;

interface Selector {
  spec: Pick<JobSpec, 'type' | 'constraints'>;
  tree: CapacityTree;
}

/**
 * Placement in O(log nodes) per decision. Nodes sit in slots in registration
 * order; for each selector (executor type + label constraints) jobs have
 * used, a `CapacityTree` over the slots marks the schedulable nodes that
 * match it, with their free cpu and memory and the policy's key. The
 * registry tells the index about every change; changed nodes are refreshed
 * lazily, before the next query.
 *
 * Same contract as `place()`: the filter (`fitsNow`) decides what is
 * feasible, the policy picks through `FeasibleNodes`.
 */
export class PlacementIndex {
  readonly #policy: PlacementPolicy;
  readonly #unsubscribe: () => void;
  #slots: (NodeRecord | undefined)[] = [];
  /** `order` of each slot's node (kept for empty slots too), ascending. */
  #orders: number[] = [];
  /** Where each node sits, and what the index last took from it. */
  readonly #tracked = new Map<NodeRecord, Tracked>();
  #slotById = new Map<string, number>();
  #live = 0;
  #capacity = 64;
  readonly #dirty = new Map<NodeRecord, boolean>();
  readonly #selectors = new Map<string, Selector>();
  /** The most recently used selector key (the last entry of `#selectors`). */
  #lastSelector = '';
  /** Free task slots over all schedulable nodes (the sum of `Tracked.contributed`). */
  #freeSlots = 0;
  /** Changes when what any node could ever take changes; invalidates `#never`. */
  #epoch = 0;
  #neverEpoch = -1;
  readonly #never = new Map<string, string>();

  constructor(registry: NodeRegistry, policy: PlacementPolicy) {
    this.#policy = policy;
    for (const node of registry.all()) this.#dirty.set(node, false);
    this.#unsubscribe = registry.subscribe((node, removed) => this.#dirty.set(node, removed || this.#dirty.get(node) === true));
  }

  get policy(): PlacementPolicy {
    return this.#policy;
  }

  /** Stops listening to the registry. */
  close(): void {
    this.#unsubscribe();
  }

  /** Free task slots over all schedulable nodes. */
  get freeSlots(): number {
    this.#flush();
    return this.#freeSlots;
  }

  /** Picks a node for the job with the policy, or undefined when no node can take it now. */
  place(job: Job): NodeRecord | undefined {
    this.#flush();
    const tree = this.#selector(job.spec).tree;
    if (tree.count === 0) return undefined;
    const avoid = nodeToAvoid(job);
    const avoidSlot = avoid ? (this.#slotById.get(avoid) ?? -1) : -1;
    let view = new TreeFeasible(this.#slots, this.#orders, tree, job.spec, avoidSlot);
    if (avoidSlot >= 0 && view.first() < 0) view = new TreeFeasible(this.#slots, this.#orders, tree, job.spec, -1);
    if (view.first() < 0) return undefined;
    const node = this.#policy.pick(job, view);
    this.#policy.placed?.(job, node);
    // The policy's key of the node may have moved with `placed`.
    this.#dirty.set(node, this.#dirty.get(node) === true);
    return node;
  }

  /** Whether some node can take a job with these needs right now. */
  fits(spec: JobNeeds): boolean {
    this.#flush();
    const tree = this.#selector(spec).tree;
    return tree.count > 0 && new TreeFeasible(this.#slots, this.#orders, tree, spec, -1).first() >= 0;
  }

  /** Why no node can take the job now (O(nodes)); see `explain`. */
  explain(spec: JobNeeds): Unplaced {
    this.#flush();
    return explain(spec, this.#liveNodes());
  }

  /**
   * Why no registered node could ever take a job with these needs, or '' if
   * one could. Cached until a node joins, leaves or changes what it could
   * ever take, so a pass that meets the same stuck job again pays nothing.
   * `key` is the spec's `requirementKey`, when the caller already has it.
   */
  neverReason(spec: JobNeeds, key = requirementKey(spec)): string {
    this.#flush();
    if (this.#neverEpoch !== this.#epoch) {
      this.#never.clear();
      this.#neverEpoch = this.#epoch;
    }
    let reason = this.#never.get(key);
    if (reason === undefined) {
      const verdict = explain(spec, this.#liveNodes());
      reason = verdict.type === 'never' ? verdict.reason : '';
      this.#never.set(key, reason);
    }
    return reason;
  }

  #liveNodes(): NodeRecord[] {
    return this.#slots.filter((n): n is NodeRecord => n !== undefined && n.health !== 'LOST' && !n.recovering);
  }

  #selector(spec: Pick<JobSpec, 'type' | 'constraints'>): Selector {
    const key = selectorKey(spec);
    let selector = this.#selectors.get(key);
    if (selector) {
      // Map order is use order: the first entry is the least recently used.
      if (key !== this.#lastSelector) {
        this.#selectors.delete(key);
        this.#selectors.set(key, selector);
        this.#lastSelector = key;
      }
      return selector;
    }
    selector = { spec: { type: spec.type, constraints: { ...spec.constraints } }, tree: new CapacityTree(this.#capacity) };
    for (let slot = 0; slot < this.#slots.length; slot += 1) {
      const node = this.#slots[slot];
      if (node) this.#setLeaf(selector, slot, node, this.#keyOf(node));
    }
    this.#selectors.set(key, selector);
    this.#lastSelector = key;
    if (this.#selectors.size > MAX_SELECTORS) this.#selectors.delete(this.#selectors.keys().next().value as string);
    return selector;
  }

  #keyOf(node: NodeRecord): number {
    return this.#policy.key?.(node) ?? 0;
  }

  #setLeaf(selector: Selector, slot: number, node: NodeRecord, key: number): void {
    if (node.schedulable && matchesSelector(node, selector.spec)) selector.tree.set(slot, node.freeMilliCpus, node.freeMemoryBytes, key);
    else selector.tree.clear(slot);
  }

  #flush(): void {
    if (this.#dirty.size === 0) return;
    for (const [node, removed] of this.#dirty) {
      if (removed) this.#remove(node);
      else this.#refresh(node);
    }
    this.#dirty.clear();
    if (this.#slots.length > 2 * this.#live + 64) this.#rebuild();
  }

  #refresh(node: NodeRecord): void {
    let tracked = this.#tracked.get(node);
    if (tracked === undefined) {
      if (this.#slots.length === this.#capacity) {
        this.#capacity *= 2;
        this.#rebuild();
      }
      tracked = { slot: this.#slots.length, shape: -1, contributed: 0 };
      this.#slots.push(node);
      // Registration order only grows, so appending keeps the slots sorted by it.
      this.#orders.push(node.order);
      this.#tracked.set(node, tracked);
      this.#slotById.set(node.id, tracked.slot);
      this.#live += 1;
    }
    if (tracked.shape !== node.shapeVersion) {
      tracked.shape = node.shapeVersion;
      this.#epoch += 1;
    }
    const key = this.#keyOf(node);
    for (const selector of this.#selectors.values()) this.#setLeaf(selector, tracked.slot, node, key);
    const free = node.schedulable ? node.freeSlots : 0;
    this.#freeSlots += free - tracked.contributed;
    tracked.contributed = free;
  }

  #remove(node: NodeRecord): void {
    const tracked = this.#tracked.get(node);
    if (tracked === undefined) return;
    const slot = tracked.slot;
    for (const selector of this.#selectors.values()) selector.tree.clear(slot);
    this.#slots[slot] = undefined;
    this.#tracked.delete(node);
    if (this.#slotById.get(node.id) === slot) this.#slotById.delete(node.id);
    this.#freeSlots -= tracked.contributed;
    this.#live -= 1;
    this.#epoch += 1;
  }

  /** Compacts the slots (dropping removed nodes) and rebuilds every tree at the current capacity. */
  #rebuild(): void {
    const nodes = this.#slots.filter((n): n is NodeRecord => n !== undefined);
    while (this.#capacity < nodes.length + 1) this.#capacity *= 2;
    this.#slots = nodes;
    this.#orders = nodes.map((n) => n.order);
    nodes.forEach((n, slot) => {
      (this.#tracked.get(n) as Tracked).slot = slot;
    });
    this.#slotById = new Map(nodes.map((n, slot) => [n.id, slot]));
    for (const selector of this.#selectors.values()) {
      selector.tree = new CapacityTree(this.#capacity);
      nodes.forEach((node, slot) => this.#setLeaf(selector, slot, node, this.#keyOf(node)));
    }
  }
}

interface Tracked {
  slot: number;
  /** `shapeVersion` when last seen: what the node could ever take. */
  shape: number;
  /** Free slots it adds to `#freeSlots` (0 unless schedulable). */
  contributed: number;
}

/** `FeasibleNodes` answered from a `CapacityTree`, each candidate confirmed by the filter. */
class TreeFeasible implements FeasibleNodes {
  readonly #slots: readonly (NodeRecord | undefined)[];
  readonly #orders: readonly number[];
  readonly #tree: CapacityTree;
  readonly #cpu: number;
  readonly #memory: number;
  readonly #accept: (slot: number) => boolean;
  #first: number | undefined;

  constructor(
    slots: readonly (NodeRecord | undefined)[],
    orders: readonly number[],
    tree: CapacityTree,
    spec: JobNeeds,
    excludeSlot: number,
  ) {
    this.#slots = slots;
    this.#orders = orders;
    this.#tree = tree;
    this.#cpu = toMilliCpus(spec.cpu);
    this.#memory = spec.memoryBytes;
    this.#accept = (slot) => {
      const node = slots[slot];
      return slot !== excludeSlot && node !== undefined && fitsNow(node, spec);
    };
  }

  /** The first feasible slot, or -1 (cached: it answers both "is there any" and first-fit). */
  first(): number {
    this.#first ??= this.#tree.firstFrom(0, this.#cpu, this.#memory, this.#accept);
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

  lowest(rank?: Rank): NodeRecord {
    const tree = this.#tree;
    const slot = rank
      ? tree.lowest(this.#cpu, this.#memory, rank.bound, (s) => rank.score(this.#node(s), tree.keyAt(s)), this.#accept)
      : tree.lowest(this.#cpu, this.#memory, (key) => key, (s) => tree.keyAt(s), this.#accept);
    return this.#node(slot >= 0 ? slot : this.first());
  }

  sample(random: () => number): NodeRecord {
    // Uniform over the members, kept only if feasible: uniform over the feasible ones.
    for (let i = 0; i < SAMPLE_TRIES; i += 1) {
      const slot = this.#tree.nth(Math.floor(random() * this.#tree.count));
      if (slot >= 0 && this.#accept(slot)) return this.#node(slot);
    }
    const feasible = this.#tree.collect(this.#cpu, this.#memory, this.#accept);
    return this.#node(feasible[Math.min(feasible.length - 1, Math.floor(random() * feasible.length))] as number);
  }
}

/** First index whose value is at least `value` (values ascending). */
function lowerBound(values: readonly number[], value: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((values[mid] as number) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
