import { checkNodeId, InvalidArgumentError, type NodeInfo, type NodeState } from '@dist-exec/core';

export type NodeHealth = 'HEALTHY' | 'UNHEALTHY' | 'LOST';

export interface HealthTimeouts {
  heartbeatTimeoutMs: number;
  nodeLostTimeoutMs: number;
}

/** Health is a pure function of how long a node has been silent. */
export function healthAfter(silentMs: number, timeouts: HealthTimeouts): NodeHealth {
  if (silentMs >= timeouts.nodeLostTimeoutMs) return 'LOST';
  if (silentMs >= timeouts.heartbeatTimeoutMs) return 'UNHEALTHY';
  return 'HEALTHY';
}

/** Health from the time of the last heartbeat. */
export function healthAt(lastHeartbeatMs: number, nowMs: number, timeouts: HealthTimeouts): NodeHealth {
  return healthAfter(nowMs - lastHeartbeatMs, timeouts);
}

/** What a worker tells about itself when it registers. */
export interface NodeRegistration {
  id: string;
  address: string;
  capabilities: string[];
  maxTasks: number;
  labels: Record<string, string>;
  cpus: number;
  memoryBytes: number;
  weight: number;
  version: string;
  draining: boolean;
  /** What the master presents when it calls the worker's ExecutionService ('' = nothing). */
  executionSecret: string;
  /** Name of the token the worker registered with (its nodes go when the token is revoked). */
  tokenName: string;
}

/** Resources an attempt holds on a node until the node confirms it has ended. */
export interface Reservation {
  cpu: number;
  memoryBytes: number;
}

/** Cores in whole millicores, so that reserving and releasing add up exactly. */
export function toMilliCpus(cpus: number): number {
  return Math.round(cpus * 1000);
}

/**
 * A node as the master sees it. Fields placement depends on are accessors
 * that tell the registry when they change, so the placement index stays
 * exact without rescanning every node.
 */
export class NodeRecord {
  readonly id: string;
  address: string;
  version: string;
  /** The credential the worker accepts from the master on its ExecutionService. */
  executionSecret: string;
  /** The token the worker registered with. */
  tokenName: string;
  registeredAtMs: number;
  lastHeartbeatMs: number;
  drainDeadlineMs = 0;
  /** A probe found nothing listening and no heartbeat came since: UNHEALTHY until it heartbeats again. */
  declaredDown = false;
  suspectSinceMs = 0;
  /** Registration order; stable tie-breaker for placement policies. */
  readonly order: number;
  /** Attempts holding resources here, by `jobId/attempt`. Change it only through reserve/release. */
  readonly reservations = new Map<string, Reservation>();
  /**
   * Bumped when what the node could ever take changes (capabilities, labels,
   * totals, lost or not), as opposed to what it has free right now.
   */
  shapeVersion = 0;
  #capabilities: ReadonlySet<string> = new Set();
  #labels: Record<string, string> = {};
  #maxTasks = 1;
  #cpus = 0;
  #milliCpus = 0;
  #memoryBytes = 0;
  #weight = 1;
  #health: NodeHealth = 'HEALTHY';
  #draining = false;
  #recovering = false;
  #suspectReason = '';
  #skipReason = '';
  #usedMilliCpus = 0;
  #usedMemoryBytes = 0;
  /** `reservations.size`, kept here: placement reads it on every change, and the Map's size is another object away. */
  #activeTasks = 0;
  #onChange: (node: NodeRecord) => void;

  constructor(
    registration: NodeRegistration,
    nowMs: number,
    order: number,
    onChange: (node: NodeRecord) => void = () => {},
  ) {
    this.id = registration.id;
    this.order = order;
    this.address = registration.address;
    this.version = registration.version;
    this.executionSecret = registration.executionSecret;
    this.tokenName = registration.tokenName;
    this.registeredAtMs = nowMs;
    this.lastHeartbeatMs = nowMs;
    this.#onChange = () => {};
    this.#assign(registration);
    this.#draining = registration.draining;
    this.#onChange = onChange;
  }

  /** The registry forgot the node: its changes are no longer reported. */
  detach(): void {
    this.#onChange = () => {};
  }

  #assign(registration: NodeRegistration): void {
    this.capabilities = new Set(registration.capabilities);
    this.labels = registration.labels;
    this.maxTasks = registration.maxTasks;
    this.cpus = registration.cpus;
    this.memoryBytes = registration.memoryBytes;
    this.weight = registration.weight;
  }

  update(registration: NodeRegistration, nowMs: number): void {
    this.address = registration.address;
    this.version = registration.version;
    this.executionSecret = registration.executionSecret;
    this.tokenName = registration.tokenName;
    this.#assign(registration);
    this.draining = this.draining || registration.draining;
    this.registeredAtMs = nowMs;
    this.lastHeartbeatMs = nowMs;
    this.health = 'HEALTHY';
    this.recovering = false;
    // A worker that registers again is a fresh start: whatever we suspected is moot.
    this.suspectReason = '';
    this.suspectSinceMs = 0;
    this.declaredDown = false;
  }

  #changed(shape: boolean): void {
    if (shape) this.shapeVersion += 1;
    this.#onChange(this);
  }

  get capabilities(): ReadonlySet<string> {
    return this.#capabilities;
  }
  set capabilities(value: ReadonlySet<string>) {
    this.#capabilities = value;
    this.#changed(true);
  }

  get labels(): Readonly<Record<string, string>> {
    return this.#labels;
  }
  set labels(value: Record<string, string>) {
    this.#labels = { ...value };
    this.#changed(true);
  }

  get maxTasks(): number {
    return this.#maxTasks;
  }
  set maxTasks(value: number) {
    this.#maxTasks = value;
    this.#changed(true);
  }

  /** Cores offered to jobs; 0 = cpu is not accounted on this node. */
  get cpus(): number {
    return this.#cpus;
  }
  set cpus(value: number) {
    this.#cpus = value;
    this.#milliCpus = toMilliCpus(value);
    this.#changed(true);
  }

  /** Bytes offered to jobs; 0 = memory is not accounted on this node. */
  get memoryBytes(): number {
    return this.#memoryBytes;
  }
  set memoryBytes(value: number) {
    this.#memoryBytes = value;
    this.#changed(true);
  }

  /** Share under weighted round-robin. */
  get weight(): number {
    return this.#weight;
  }
  set weight(value: number) {
    this.#weight = value;
    this.#changed(false);
  }

  get health(): NodeHealth {
    return this.#health;
  }
  set health(value: NodeHealth) {
    const lostChanged = (value === 'LOST') !== (this.#health === 'LOST');
    this.#health = value;
    this.#changed(lostChanged);
  }

  /** Operator or worker asked it to take no new work. */
  get draining(): boolean {
    return this.#draining;
  }
  set draining(value: boolean) {
    this.#draining = value;
    this.#changed(false);
  }

  /**
   * Known only from the store after a master restart: its attempts wait for
   * it to register until the node-lost timeout, instead of the heartbeat timeout.
   */
  get recovering(): boolean {
    return this.#recovering;
  }
  set recovering(value: boolean) {
    this.#recovering = value;
    this.#changed(true);
  }

  /**
   * Why the master suspects the node (an Execute stream broke, a dispatch
   * failed) until a probe reaches it; '' when not suspect. A suspect node
   * gets no new work, but keeps its attempts.
   */
  get suspectReason(): string {
    return this.#suspectReason;
  }
  set suspectReason(value: string) {
    this.#suspectReason = value;
    this.#changed(false);
  }

  /** Why dispatches skip the node for now (circuit breaker); '' when they do not. */
  get skipReason(): string {
    return this.#skipReason;
  }
  set skipReason(value: string) {
    this.#skipReason = value;
    this.#changed(false);
  }

  get activeTasks(): number {
    return this.#activeTasks;
  }

  get freeSlots(): number {
    return Math.max(0, this.#maxTasks - this.#activeTasks);
  }

  get milliCpus(): number {
    return this.#milliCpus;
  }

  get usedMilliCpus(): number {
    return this.#usedMilliCpus;
  }

  get usedCpus(): number {
    return this.#usedMilliCpus / 1000;
  }

  get usedMemoryBytes(): number {
    return this.#usedMemoryBytes;
  }

  /** Millicores free now; Infinity when the node does not account cpu. */
  get freeMilliCpus(): number {
    return this.#milliCpus > 0 ? this.#milliCpus - this.#usedMilliCpus : Infinity;
  }

  /** Bytes free now; Infinity when the node does not account memory. */
  get freeMemoryBytes(): number {
    return this.#memoryBytes > 0 ? this.#memoryBytes - this.#usedMemoryBytes : Infinity;
  }

  /** Healthy and reachable as far as the master knows: no suspicion, no open circuit breaker. */
  get available(): boolean {
    return this.#health === 'HEALTHY' && !this.#recovering && !this.#suspectReason && !this.#skipReason;
  }

  /** Available, not draining, and able to take at least one more task. */
  get schedulable(): boolean {
    return this.available && !this.#draining && this.freeSlots > 0;
  }

  /** Why the node takes no work although it is healthy; '' when nothing is wrong. */
  get unavailableReason(): string {
    if (this.#suspectReason) return `suspect: ${this.#suspectReason}`;
    return this.#skipReason;
  }

  /** Holds the attempt's resources here until `release`; a second reserve of the same key is a no-op. */
  reserve(key: string, reservation: Reservation): void {
    if (this.reservations.has(key)) return;
    this.reservations.set(key, reservation);
    this.#activeTasks += 1;
    this.#usedMilliCpus += toMilliCpus(reservation.cpu);
    this.#usedMemoryBytes += reservation.memoryBytes;
    this.#changed(false);
  }

  release(key: string): boolean {
    const reservation = this.reservations.get(key);
    if (!reservation) return false;
    this.reservations.delete(key);
    this.#activeTasks -= 1;
    this.#usedMilliCpus -= toMilliCpus(reservation.cpu);
    this.#usedMemoryBytes -= reservation.memoryBytes;
    this.#changed(false);
    return true;
  }

  get state(): NodeState {
    if (this.#health !== 'HEALTHY') return this.#health;
    return this.#draining ? 'DRAINING' : 'HEALTHY';
  }

  toInfo(): NodeInfo {
    return {
      id: this.id,
      address: this.address,
      state: this.state,
      draining: this.draining,
      capabilities: [...this.capabilities],
      labels: { ...this.labels },
      maxTasks: this.maxTasks,
      activeTasks: this.activeTasks,
      cpus: this.cpus,
      usedCpus: this.usedCpus,
      memoryBytes: this.memoryBytes,
      usedMemoryBytes: this.usedMemoryBytes,
      weight: this.weight,
      lastHeartbeatMs: this.lastHeartbeatMs,
      registeredAtMs: this.registeredAtMs,
      version: this.version,
      drainDeadlineMs: this.drainDeadlineMs,
      unavailableReason: this.unavailableReason,
    };
  }
}

const MAX_TASKS_LIMIT = 10_000;
const MAX_WEIGHT = 1000;

/** Validates a registration from the wire; throws INVALID_ARGUMENT naming the field. */
export function checkRegistration(registration: NodeRegistration): NodeRegistration {
  checkNodeId(registration.id, 'nodeId');
  if (!/^[^\s/]+:\d{1,5}$/.test(registration.address)) {
    throw new InvalidArgumentError(`address: "${registration.address}" is not host:port`, { field: 'address' });
  }
  if (
    !Number.isInteger(registration.maxTasks) ||
    registration.maxTasks < 1 ||
    registration.maxTasks > MAX_TASKS_LIMIT
  ) {
    throw new InvalidArgumentError(`maxTasks: ${registration.maxTasks} is out of range; use 1 to ${MAX_TASKS_LIMIT}`, {
      field: 'maxTasks',
    });
  }
  if (registration.capabilities.length === 0) {
    throw new InvalidArgumentError('capabilities: a worker must offer at least one executor type', {
      field: 'capabilities',
    });
  }
  if (!Number.isFinite(registration.cpus) || registration.cpus < 0) {
    throw new InvalidArgumentError(`cpus: ${registration.cpus} is not a cpu count`, { field: 'cpus' });
  }
  if (!Number.isSafeInteger(registration.memoryBytes) || registration.memoryBytes < 0) {
    throw new InvalidArgumentError(`memoryBytes: ${registration.memoryBytes} is not a size in bytes`, {
      field: 'memoryBytes',
    });
  }
  if (registration.executionSecret.length > 256) {
    throw new InvalidArgumentError('executionSecret: longer than 256 characters', { field: 'executionSecret' });
  }
  const weight = registration.weight || 1;
  if (!Number.isInteger(weight) || weight < 1 || weight > MAX_WEIGHT) {
    throw new InvalidArgumentError(`weight: ${weight} is out of range; use 1 to ${MAX_WEIGHT}`, { field: 'weight' });
  }
  return { ...registration, weight };
}

/** Told when a node is added, changes anything placement depends on, or is removed. */
export type NodeListener = (node: NodeRecord, removed: boolean) => void;

/** The nodes the master knows, in registration order. */
export class NodeRegistry {
  readonly #nodes = new Map<string, NodeRecord>();
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

  #emit(node: NodeRecord, removed: boolean): void {
    for (const listener of this.#listeners) listener(node, removed);
  }

  /** Adds the node, or refreshes it when it registers again (restart, reconnect). */
  upsert(registration: NodeRegistration, nowMs: number): { node: NodeRecord; known: boolean } {
    const existing = this.#nodes.get(registration.id);
    if (existing) {
      existing.update(registration, nowMs);
      return { node: existing, known: true };
    }
    const node = new NodeRecord(registration, nowMs, this.#nextOrder++, (changed) => this.#emit(changed, false));
    this.#nodes.set(node.id, node);
    this.#emit(node, false);
    return { node, known: false };
  }

  delete(id: string): boolean {
    const node = this.#nodes.get(id);
    if (!node) return false;
    this.#nodes.delete(id);
    node.detach();
    this.#emit(node, true);
    return true;
  }
}
