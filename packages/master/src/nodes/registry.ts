import type { NodeHealth } from './health.js';
import { NodeEntry, type NodeRecord, type Reservation } from './node-record.js';
import type { NodeRegistration } from './registration.js';

/**
 * What changed about a node: it joined or left; what it could ever take
 * changed (`shape`: capabilities, labels, totals, lost or not); or only what
 * it can take now (`state`: health, draining, suspicion, reservations).
 */
export type NodeChange = 'added' | 'removed' | 'shape' | 'state';

/** Told of every change to a node that placement depends on. */
export type NodeListener = (node: NodeRecord, change: NodeChange) => void;

/** The placeholder of a node known only from the store: it offers nothing until it registers. */
const UNKNOWN_NODE: Omit<NodeRegistration, 'id'> = {
  address: '',
  capabilities: [],
  maxTasks: 1,
  labels: {},
  cpus: 0,
  memoryBytes: 0,
  weight: 1,
  version: '',
  draining: false,
  executionSecret: '',
  tokenName: '',
};

/**
 * The nodes the master knows, in registration order, and the one writer of
 * their records: every change goes through a method named after it, which
 * tells the subscribers (the placement index, the scheduler's blocked
 * classes, the task types a job may name). Everyone else holds the records
 * read-only. A method given a record the registry has since forgotten does nothing.
 */
export class NodeRegistry {
  readonly #nodes = new Map<string, NodeEntry>();
  readonly #listeners = new Set<NodeListener>();
  #nextOrder = 0;

  get size(): number {
    return this.#nodes.size;
  }

  get(id: string): NodeRecord | undefined {
    return this.#nodes.get(id);
  }

  all(): IterableIterator<NodeRecord> {
    return this.#nodes.values();
  }

  /** Calls `listener` on every change from now on; returns the function that stops it. */
  subscribe(listener: NodeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #announce(node: NodeRecord, change: NodeChange): void {
    for (const listener of this.#listeners) listener(node, change);
  }

  /** The registry's own entry of `node`, if the registry still holds that very record. */
  #entry(node: NodeRecord): NodeEntry | undefined {
    const entry = this.#nodes.get(node.id);
    return entry === node ? entry : undefined;
  }

  /** Adds the node, or refreshes it when it registers again (restart, reconnect). */
  upsert(registration: NodeRegistration, nowMs: number): { node: NodeRecord; known: boolean } {
    const existing = this.#nodes.get(registration.id);
    if (existing) {
      existing.reregister(registration, nowMs);
      this.#announce(existing, 'shape');
      return { node: existing, known: true };
    }
    return { node: this.#add(new NodeEntry(registration, nowMs, this.#nextOrder++)), known: false };
  }

  /**
   * A node the store says ran attempts when the master stopped, kept as
   * `recovering` until it registers (or the node-lost timeout passes). A
   * node already known is left as it is.
   */
  restore(id: string, nowMs: number): NodeRecord {
    const known = this.#nodes.get(id);
    if (known) return known;
    const entry = new NodeEntry({ id, ...UNKNOWN_NODE }, nowMs, this.#nextOrder++);
    entry.setRecovering(true);
    return this.#add(entry);
  }

  #add(entry: NodeEntry): NodeRecord {
    this.#nodes.set(entry.id, entry);
    this.#announce(entry, 'added');
    return entry;
  }

  /** Forgets the node (it left, or was lost long ago). */
  delete(id: string): boolean {
    const entry = this.#nodes.get(id);
    if (!entry) return false;
    this.#nodes.delete(id);
    this.#announce(entry, 'removed');
    return true;
  }

  /** A heartbeat arrived (nothing placement reads changes, so nobody is told). */
  heard(node: NodeRecord, nowMs: number): void {
    const entry = this.#entry(node);
    if (!entry) return;
    entry.lastHeartbeatMs = nowMs;
    entry.declaredDown = false;
  }

  /** The node was UNHEALTHY and heartbeated at `nowMs`: HEALTHY again, and one more flap counted. */
  recovered(node: NodeRecord, nowMs: number): void {
    const entry = this.#entry(node);
    if (!entry || entry.health !== 'UNHEALTHY') return;
    entry.flapped(nowMs);
    this.setHealth(entry, 'HEALTHY');
  }

  /** A probe proved the node's process gone: it stays UNHEALTHY until it heartbeats again. */
  declareDown(node: NodeRecord): void {
    const entry = this.#entry(node);
    if (entry) entry.declaredDown = true;
  }

  setHealth(node: NodeRecord, health: NodeHealth): void {
    const entry = this.#entry(node);
    if (!entry || entry.health === health) return;
    const shape = entry.shapeVersion;
    entry.setHealth(health);
    this.#announce(entry, entry.shapeVersion === shape ? 'state' : 'shape');
  }

  /** No new work for the node; its attempts are handed back at `deadlineAtMs` (0: it may finish them). */
  drain(node: NodeRecord, deadlineAtMs: number): void {
    const entry = this.#entry(node);
    if (!entry) return;
    entry.draining = true;
    entry.drainDeadlineMs = deadlineAtMs;
    this.#announce(entry, 'state');
  }

  undrain(node: NodeRecord): void {
    const entry = this.#entry(node);
    if (!entry) return;
    entry.draining = false;
    entry.drainDeadlineMs = 0;
    this.#announce(entry, 'state');
  }

  /** The master suspects the node (see FailureDetector): no new work until a probe clears it. */
  suspect(node: NodeRecord, reason: string, nowMs: number): void {
    const entry = this.#entry(node);
    if (!entry) return;
    entry.suspectReason = reason;
    entry.suspectSinceMs = nowMs;
    this.#announce(entry, 'state');
  }

  clearSuspicion(node: NodeRecord): void {
    const entry = this.#entry(node);
    if (!entry || (!entry.suspectReason && !entry.suspectSinceMs)) return;
    entry.suspectReason = '';
    entry.suspectSinceMs = 0;
    this.#announce(entry, 'state');
  }

  /** Dispatches skip the node for now (see DispatchBreakers), for `reason`. */
  skip(node: NodeRecord, reason: string): void {
    const entry = this.#entry(node);
    if (!entry || entry.skipReason === reason) return;
    entry.skipReason = reason;
    this.#announce(entry, 'state');
  }

  stopSkipping(node: NodeRecord): void {
    this.skip(node, '');
  }

  /** The attempt `key` holds `reservation` on the node until `release`; a second reserve of a key is a no-op. */
  reserve(node: NodeRecord, key: string, reservation: Reservation): void {
    const entry = this.#entry(node);
    if (entry?.reserve(key, reservation)) this.#announce(entry, 'state');
  }

  /** Gives the attempt's resources back; false if the node held none for it. */
  release(node: NodeRecord, key: string): boolean {
    const entry = this.#entry(node);
    if (!entry?.release(key)) return false;
    this.#announce(entry, 'state');
    return true;
  }
}
