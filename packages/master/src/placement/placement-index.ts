import type { Job, JobSpec } from '@dist-exec/core';
import type { NodeRecord } from '../nodes/node-record.js';
import type { NodeRegistry } from '../nodes/registry.js';
import { CapacityTree, type SlotValues } from './capacity-tree.js';
import { TreeFeasible } from './tree-feasible.js';
import { explain } from './explain.js';
import { matchesSelector, nodeToAvoid, requirementKey, selectorKey, type JobNeeds } from './filter.js';
import type { PlacementPolicy, Unplaced } from './policy.js';

/** Distinct selectors (executor type + constraints) kept indexed; the least recently used beyond are dropped. */
export const MAX_SELECTORS = 64;

interface Selector {
  spec: Pick<JobSpec, 'type' | 'constraints'>;
  tree: CapacityTree;
  /** 1 where the slot's node offers the type and labels (re-checked only when its shape changes). */
  matches: Uint8Array;
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
  #slots: (NodeRecord | undefined)[] = [];
  /** `order` of each slot's node (kept for empty slots too), ascending. */
  #orders: number[] = [];
  /** Where each node sits, and what the index last took from it. */
  readonly #tracked = new Map<NodeRecord, Tracked>();
  #slotById = new Map<string, number>();
  #live = 0;
  #capacity = 64;
  /** Nodes changed since the last query (each once: `Tracked.dirty`). */
  #dirty: Tracked[] = [];
  /** The one view queries go through (reset for each). */
  readonly #view = new TreeFeasible();
  readonly #selectors = new Map<string, Selector>();
  /** The values of `#selectors`, for the loop every node change runs. */
  #selectorList: Selector[] = [];
  /**
   * Each slot's exact free millicores and bytes (Infinity: not accounted) and
   * key, shared by every tree: the trees' bottom level and the check of a
   * candidate read these, not the node's record, so a query touches small
   * arrays instead of objects all over the heap.
   */
  #values: SlotValues = { free: new Float64Array(2 * 64), keys: new Float64Array(64) };
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
    for (const node of registry.all()) this.#changed(node, false);
    registry.subscribe((node, change) => this.#changed(node, change === 'removed'));
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
    const view = this.#view.reset(this.#slots, this.#orders, this.#values.free, tree, job.spec, avoidSlot);
    if (avoidSlot >= 0 && view.first() < 0)
      view.reset(this.#slots, this.#orders, this.#values.free, tree, job.spec, -1);
    // No "is any node feasible" check first: the policy's own query answers that (one descent, not two).
    const node = this.#policy.pick(job, view);
    if (node === undefined) return undefined;
    const policy = this.#policy;
    if (policy.placed) {
      policy.placed(job, node);
      // The policy's key of the node may have moved with `placed` (the node's own changes tell the index themselves).
      if (policy.key) this.#changed(node, false);
    }
    return node;
  }

  /** Whether some node can take a job with these needs right now. */
  fits(spec: JobNeeds): boolean {
    this.#flush();
    const tree = this.#selector(spec).tree;
    return (
      tree.count > 0 && this.#view.reset(this.#slots, this.#orders, this.#values.free, tree, spec, -1).first() >= 0
    );
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
    selector = this.#fill({ type: spec.type, constraints: { ...spec.constraints } });
    this.#selectors.set(key, selector);
    this.#lastSelector = key;
    if (this.#selectors.size > MAX_SELECTORS) this.#selectors.delete(this.#selectors.keys().next().value as string);
    this.#selectorList = [...this.#selectors.values()];
    return selector;
  }

  /** A selector's tree and matches over the current slots. */
  #fill(spec: Selector['spec']): Selector {
    const tree = new CapacityTree(this.#capacity, this.#values, this.#policy.key !== undefined);
    const selector: Selector = { spec, tree, matches: new Uint8Array(this.#capacity) };
    for (let slot = 0; slot < this.#slots.length; slot += 1) {
      const node = this.#slots[slot];
      if (node === undefined) continue;
      selector.matches[slot] = matchesSelector(node, spec) ? 1 : 0;
      tree.update(slot, node.schedulable && selector.matches[slot] === 1);
    }
    return selector;
  }

  #keyOf(node: NodeRecord): number {
    return this.#policy.key?.(node) ?? 0;
  }

  /** Writes the node's exact values into its slot. */
  #record(slot: number, node: NodeRecord): void {
    this.#values.free[2 * slot] = node.freeMilliCpus;
    this.#values.free[2 * slot + 1] = node.freeMemoryBytes;
    if (this.#policy.key) this.#values.keys[slot] = this.#keyOf(node);
  }

  /** Notes that the node changed (or left), for the next query to pick up. */
  #changed(node: NodeRecord, removed: boolean): void {
    let tracked = this.#tracked.get(node);
    if (tracked === undefined) {
      tracked = { node, slot: -1, shape: -1, contributed: 0, dirty: false, removed: false };
      this.#tracked.set(node, tracked);
    }
    if (removed) tracked.removed = true;
    if (!tracked.dirty) {
      tracked.dirty = true;
      this.#dirty.push(tracked);
    }
  }

  #flush(): void {
    if (this.#dirty.length === 0) return;
    const dirty = this.#dirty;
    for (let i = 0; i < dirty.length; i += 1) {
      const tracked = dirty[i] as Tracked;
      tracked.dirty = false;
      if (tracked.removed) this.#remove(tracked);
      else this.#refresh(tracked);
    }
    dirty.length = 0;
    if (this.#slots.length > 2 * this.#live + 64) this.#rebuild();
  }

  #refresh(tracked: Tracked): void {
    const node = tracked.node;
    if (tracked.slot < 0) {
      if (this.#slots.length === this.#capacity) {
        this.#capacity *= 2;
        this.#rebuild();
      }
      tracked.slot = this.#slots.length;
      this.#slots.push(node);
      // Registration order only grows, so appending keeps the slots sorted by it.
      this.#orders.push(node.order);
      this.#slotById.set(node.id, tracked.slot);
      this.#live += 1;
    }
    const slot = tracked.slot;
    const selectors = this.#selectorList;
    if (tracked.shape !== node.shapeVersion) {
      tracked.shape = node.shapeVersion;
      this.#epoch += 1;
      for (const selector of selectors) selector.matches[slot] = matchesSelector(node, selector.spec) ? 1 : 0;
    }
    this.#record(slot, node);
    const schedulable = node.schedulable;
    for (const selector of selectors) selector.tree.update(slot, schedulable && selector.matches[slot] === 1);
    const free = schedulable ? node.freeSlots : 0;
    this.#freeSlots += free - tracked.contributed;
    tracked.contributed = free;
  }

  #remove(tracked: Tracked): void {
    const node = tracked.node;
    this.#tracked.delete(node);
    const slot = tracked.slot;
    if (slot < 0) return;
    for (const selector of this.#selectorList) selector.tree.update(slot, false);
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
    this.#values = { free: new Float64Array(2 * this.#capacity), keys: new Float64Array(this.#capacity) };
    nodes.forEach((node, slot) => this.#record(slot, node));
    for (const [key, selector] of this.#selectors) this.#selectors.set(key, this.#fill(selector.spec));
    this.#selectorList = [...this.#selectors.values()];
  }
}

interface Tracked {
  node: NodeRecord;
  /** -1 until the index has given the node a slot. */
  slot: number;
  /** `shapeVersion` when last seen: what the node could ever take. */
  shape: number;
  /** Free slots it adds to `#freeSlots` (0 unless schedulable). */
  contributed: number;
  /** Listed in `#dirty`. */
  dirty: boolean;
  /** The registry dropped it. */
  removed: boolean;
}
