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
}

/** Resources an attempt holds on a node until the node confirms it has ended. */
export interface Reservation {
  cpu: number;
  memoryBytes: number;
}

export class NodeRecord {
  readonly id: string;
  address: string;
  capabilities: ReadonlySet<string>;
  labels: Record<string, string>;
  maxTasks: number;
  cpus: number;
  memoryBytes: number;
  weight: number;
  version: string;
  registeredAtMs: number;
  lastHeartbeatMs: number;
  health: NodeHealth = 'HEALTHY';
  /** Operator or worker asked it to take no new work. */
  draining = false;
  drainDeadlineMs = 0;
  /**
   * Known only from the store after a master restart: its attempts wait for
   * it to register until the node-lost timeout, instead of the heartbeat timeout.
   */
  recovering = false;
  /**
   * Why the master suspects the node (an Execute stream broke, a dispatch
   * failed) until a probe reaches it; '' when not suspect. A suspect node
   * gets no new work, but keeps its attempts.
   */
  suspectReason = '';
  suspectSinceMs = 0;
  /** A probe found nothing listening and no heartbeat came since: UNHEALTHY until it heartbeats again. */
  declaredDown = false;
  /** Why dispatches skip the node for now (circuit breaker); '' when they do not. */
  skipReason = '';
  /** Registration order; stable tie-breaker for placement policies. */
  readonly order: number;
  /** Attempts holding resources here, by `jobId/attempt`. */
  readonly reservations = new Map<string, Reservation>();
  usedCpus = 0;
  usedMemoryBytes = 0;

  constructor(registration: NodeRegistration, nowMs: number, order: number) {
    this.id = registration.id;
    this.address = registration.address;
    this.capabilities = new Set(registration.capabilities);
    this.labels = registration.labels;
    this.maxTasks = registration.maxTasks;
    this.cpus = registration.cpus;
    this.memoryBytes = registration.memoryBytes;
    this.weight = registration.weight;
    this.version = registration.version;
    this.draining = registration.draining;
    this.registeredAtMs = nowMs;
    this.lastHeartbeatMs = nowMs;
    this.order = order;
  }

  update(registration: NodeRegistration, nowMs: number): void {
    this.address = registration.address;
    this.capabilities = new Set(registration.capabilities);
    this.labels = registration.labels;
    this.maxTasks = registration.maxTasks;
    this.cpus = registration.cpus;
    this.memoryBytes = registration.memoryBytes;
    this.weight = registration.weight;
    this.version = registration.version;
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

  get activeTasks(): number {
    return this.reservations.size;
  }

  get freeSlots(): number {
    return Math.max(0, this.maxTasks - this.reservations.size);
  }

  /** Healthy and reachable as far as the master knows: no suspicion, no open circuit breaker. */
  get available(): boolean {
    return this.health === 'HEALTHY' && !this.recovering && !this.suspectReason && !this.skipReason;
  }

  /** Available, not draining, and able to take at least one more task. */
  get schedulable(): boolean {
    return this.available && !this.draining && this.freeSlots > 0;
  }

  /** Why the node takes no work although it is healthy; '' when nothing is wrong. */
  get unavailableReason(): string {
    if (this.suspectReason) return `suspect: ${this.suspectReason}`;
    return this.skipReason;
  }

  reserve(key: string, reservation: Reservation): void {
    if (this.reservations.has(key)) return;
    this.reservations.set(key, reservation);
    this.usedCpus += reservation.cpu;
    this.usedMemoryBytes += reservation.memoryBytes;
  }

  release(key: string): boolean {
    const reservation = this.reservations.get(key);
    if (!reservation) return false;
    this.reservations.delete(key);
    this.usedCpus = this.reservations.size === 0 ? 0 : this.usedCpus - reservation.cpu;
    this.usedMemoryBytes = this.reservations.size === 0 ? 0 : this.usedMemoryBytes - reservation.memoryBytes;
    return true;
  }

  get state(): NodeState {
    if (this.health !== 'HEALTHY') return this.health;
    return this.draining ? 'DRAINING' : 'HEALTHY';
  }

  toInfo(): NodeInfo {
    return {
      id: this.id,
      address: this.address,
      state: this.state,
      draining: this.draining,
      capabilities: [...this.capabilities],
      labels: this.labels,
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

/** Validates a registration from the wire; throws INVALID_ARGUMENT naming the field. */
export function checkRegistration(registration: NodeRegistration): NodeRegistration {
  checkNodeId(registration.id, 'nodeId');
  if (!/^[^\s/]+:\d{1,5}$/.test(registration.address)) {
    throw new InvalidArgumentError(`address: "${registration.address}" is not host:port`, { field: 'address' });
  }
  if (!Number.isInteger(registration.maxTasks) || registration.maxTasks < 1 || registration.maxTasks > MAX_TASKS_LIMIT) {
    throw new InvalidArgumentError(`maxTasks: ${registration.maxTasks} is out of range; use 1 to ${MAX_TASKS_LIMIT}`, { field: 'maxTasks' });
  }
  if (registration.capabilities.length === 0) {
    throw new InvalidArgumentError('capabilities: a worker must offer at least one executor type', { field: 'capabilities' });
  }
  if (!Number.isFinite(registration.cpus) || registration.cpus < 0) {
    throw new InvalidArgumentError(`cpus: ${registration.cpus} is not a cpu count`, { field: 'cpus' });
  }
  return { ...registration, weight: registration.weight || 1 };
}

/** The nodes the master knows, in registration order. */
export class NodeRegistry {
  readonly #nodes = new Map<string, NodeRecord>();
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

  /** Adds the node, or refreshes it when it registers again (restart, reconnect). */
  upsert(registration: NodeRegistration, nowMs: number): { node: NodeRecord; known: boolean } {
    const existing = this.#nodes.get(registration.id);
    if (existing) {
      existing.update(registration, nowMs);
      return { node: existing, known: true };
    }
    const node = new NodeRecord(registration, nowMs, this.#nextOrder++);
    this.#nodes.set(node.id, node);
    return { node, known: false };
  }

  delete(id: string): boolean {
    return this.#nodes.delete(id);
  }
}
