import type { NodeInfo, NodeState, TaskConfigSchema } from '@dist-exec/core';
import type { NodeHealth } from './health.js';
import type { NodeRegistration } from './registration.js';

/** Resources an attempt holds on a node until the node confirms it has ended. */
export interface Reservation {
  cpu: number;
  memoryBytes: number;
}

/** How far back `recentFlaps` counts. */
export const FLAP_WINDOW_MS = 10 * 60_000;

/** Cores in whole millicores, so that reserving and releasing add up exactly. */
export function toMilliCpus(cpus: number): number {
  return Math.round(cpus * 1000);
}

/**
 * A node as the master sees it, read-only: the registry is its one writer
 * (see NodeRegistry), and tells its subscribers of every change. Placement,
 * the scheduler, controllers and the API read it.
 */
export interface NodeRecord {
  readonly id: string;
  /** Registration order; stable tie-breaker for placement policies. */
  readonly order: number;
  /** host:port the master dials; '' for a node known only from the store after a restart. */
  readonly address: string;
  readonly version: string;
  /** The credential the worker accepts from the master on its ExecutionService. */
  readonly executionSecret: string;
  /** The token the worker registered with. */
  readonly tokenName: string;
  readonly registeredAtMs: number;
  readonly lastHeartbeatMs: number;
  /** When the attempts of a draining node are handed back; 0 = it may finish them. */
  readonly drainDeadlineMs: number;
  /** A probe found nothing listening and no heartbeat came since: UNHEALTHY until it heartbeats again. */
  readonly declaredDown: boolean;
  readonly suspectSinceMs: number;
  /** Attempts holding resources here, by attempt key (`jobId/attempt`). */
  readonly reservations: ReadonlyMap<string, Reservation>;
  /**
   * Bumped when what the node could ever take changes (capabilities, labels,
   * totals, lost or not), as opposed to what it has free right now.
   */
  readonly shapeVersion: number;
  readonly capabilities: ReadonlySet<string>;
  /** The schema of each capability's config, as the worker's executors export them (command and http have none). */
  readonly taskConfigs: ReadonlyMap<string, TaskConfigSchema>;
  readonly labels: Readonly<Record<string, string>>;
  readonly maxTasks: number;
  /** Cores offered to jobs; 0 = cpu is not accounted on this node. */
  readonly cpus: number;
  /** Bytes offered to jobs; 0 = memory is not accounted on this node. */
  readonly memoryBytes: number;
  /** Share under weighted round-robin. */
  readonly weight: number;
  readonly health: NodeHealth;
  /** Operator or worker asked it to take no new work. */
  readonly draining: boolean;
  /**
   * Known only from the store after a master restart: its attempts wait for
   * it to register until the node-lost timeout, instead of the heartbeat timeout.
   */
  readonly recovering: boolean;
  /**
   * Why the master suspects the node (a stream broke, a dispatch failed)
   * until a probe reaches it; '' when not suspect. A suspect node gets no new
   * work, but keeps its attempts.
   */
  readonly suspectReason: string;
  /** Why dispatches skip the node for now (circuit breaker); '' when they do not. */
  readonly skipReason: string;
  readonly activeTasks: number;
  readonly freeSlots: number;
  readonly milliCpus: number;
  readonly usedMilliCpus: number;
  readonly usedCpus: number;
  readonly usedMemoryBytes: number;
  /** Millicores free now; Infinity when the node does not account cpu. */
  readonly freeMilliCpus: number;
  /** Bytes free now; Infinity when the node does not account memory. */
  readonly freeMemoryBytes: number;
  /** Healthy and reachable as far as the master knows: no suspicion, no open circuit breaker. */
  readonly available: boolean;
  /** Available, not draining, and able to take at least one more task. */
  readonly schedulable: boolean;
  /** Why the node takes no work although it is healthy; '' when nothing is wrong. */
  readonly unavailableReason: string;
  readonly state: NodeState;
  /** Times within FLAP_WINDOW_MS before `nowMs` the node went UNHEALTHY and heartbeated again. */
  recentFlaps(nowMs: number): number;
  toInfo(nowMs: number): NodeInfo;
}

/**
 * The registry's own, writable record of a node; everyone else holds it as a
 * `NodeRecord`. Only `registry.ts` imports this class. Its methods keep the
 * record's own sums and versions right; announcing a change is the registry's job.
 */
export class NodeEntry implements NodeRecord {
  readonly id: string;
  readonly order: number;
  address: string;
  version: string;
  executionSecret: string;
  tokenName: string;
  registeredAtMs: number;
  lastHeartbeatMs: number;
  drainDeadlineMs = 0;
  declaredDown = false;
  suspectSinceMs = 0;
  suspectReason = '';
  skipReason = '';
  draining: boolean;
  weight = 1;
  readonly reservations = new Map<string, Reservation>();
  #shapeVersion = 0;
  #capabilities: ReadonlySet<string> = new Set();
  #taskConfigs: ReadonlyMap<string, TaskConfigSchema> = new Map();
  #labels: Record<string, string> = {};
  #maxTasks = 1;
  #cpus = 0;
  #milliCpus = 0;
  #memoryBytes = 0;
  #health: NodeHealth = 'HEALTHY';
  #recovering = false;
  #usedMilliCpus = 0;
  #usedMemoryBytes = 0;
  /** When the node came back from UNHEALTHY by a heartbeat, oldest first (within FLAP_WINDOW_MS of the last). */
  #flapsAtMs: number[] = [];
  /** `reservations.size`, kept here: placement reads it on every change, and the Map's size is another object away. */
  #activeTasks = 0;

  constructor(registration: NodeRegistration, nowMs: number, order: number) {
    this.id = registration.id;
    this.order = order;
    this.address = registration.address;
    this.version = registration.version;
    this.executionSecret = registration.executionSecret;
    this.tokenName = registration.tokenName;
    this.registeredAtMs = nowMs;
    this.lastHeartbeatMs = nowMs;
    this.draining = registration.draining;
    this.#offer(registration);
  }

  /** What the node offers, from its registration: changes its shape. */
  #offer(registration: NodeRegistration): void {
    this.#capabilities = new Set(registration.capabilities);
    this.#taskConfigs = new Map(Object.entries(registration.taskConfigs ?? {}));
    this.#labels = { ...registration.labels };
    this.#maxTasks = registration.maxTasks;
    this.#cpus = registration.cpus;
    this.#milliCpus = toMilliCpus(registration.cpus);
    this.#memoryBytes = registration.memoryBytes;
    this.weight = registration.weight;
    this.#shapeVersion += 1;
  }

  /** The worker registered again (restart, reconnect): a fresh start, whatever we suspected is moot. */
  reregister(registration: NodeRegistration, nowMs: number): void {
    this.address = registration.address;
    this.version = registration.version;
    this.executionSecret = registration.executionSecret;
    this.tokenName = registration.tokenName;
    this.#offer(registration);
    this.draining = this.draining || registration.draining;
    this.registeredAtMs = nowMs;
    this.lastHeartbeatMs = nowMs;
    this.#health = 'HEALTHY';
    this.#recovering = false;
    this.suspectReason = '';
    this.suspectSinceMs = 0;
    this.declaredDown = false;
  }

  setHealth(health: NodeHealth): void {
    if ((health === 'LOST') !== (this.#health === 'LOST')) this.#shapeVersion += 1;
    this.#health = health;
  }

  /** It was UNHEALTHY and heartbeated again at `nowMs`: it was alive all along, only late. */
  flapped(nowMs: number): void {
    this.#flapsAtMs.push(nowMs);
    while ((this.#flapsAtMs[0] ?? nowMs) <= nowMs - FLAP_WINDOW_MS) this.#flapsAtMs.shift();
  }

  recentFlaps(nowMs: number): number {
    return this.#flapsAtMs.filter((at) => at > nowMs - FLAP_WINDOW_MS).length;
  }

  setRecovering(recovering: boolean): void {
    this.#recovering = recovering;
    this.#shapeVersion += 1;
  }

  /** Holds the attempt's resources here until `release`; false (and nothing changes) if it already holds them. */
  reserve(key: string, reservation: Reservation): boolean {
    if (this.reservations.has(key)) return false;
    this.reservations.set(key, reservation);
    this.#activeTasks += 1;
    this.#usedMilliCpus += toMilliCpus(reservation.cpu);
    this.#usedMemoryBytes += reservation.memoryBytes;
    return true;
  }

  release(key: string): boolean {
    const reservation = this.reservations.get(key);
    if (!reservation) return false;
    this.reservations.delete(key);
    this.#activeTasks -= 1;
    this.#usedMilliCpus -= toMilliCpus(reservation.cpu);
    this.#usedMemoryBytes -= reservation.memoryBytes;
    return true;
  }

  get shapeVersion(): number {
    return this.#shapeVersion;
  }

  get capabilities(): ReadonlySet<string> {
    return this.#capabilities;
  }

  get taskConfigs(): ReadonlyMap<string, TaskConfigSchema> {
    return this.#taskConfigs;
  }

  get labels(): Readonly<Record<string, string>> {
    return this.#labels;
  }

  get maxTasks(): number {
    return this.#maxTasks;
  }

  get cpus(): number {
    return this.#cpus;
  }

  get memoryBytes(): number {
    return this.#memoryBytes;
  }

  get health(): NodeHealth {
    return this.#health;
  }

  get recovering(): boolean {
    return this.#recovering;
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

  get freeMilliCpus(): number {
    return this.#milliCpus > 0 ? this.#milliCpus - this.#usedMilliCpus : Infinity;
  }

  get freeMemoryBytes(): number {
    return this.#memoryBytes > 0 ? this.#memoryBytes - this.#usedMemoryBytes : Infinity;
  }

  get available(): boolean {
    return this.#health === 'HEALTHY' && !this.#recovering && !this.suspectReason && !this.skipReason;
  }

  get schedulable(): boolean {
    return this.available && !this.draining && this.freeSlots > 0;
  }

  get unavailableReason(): string {
    if (this.suspectReason) return `suspect: ${this.suspectReason}`;
    return this.skipReason;
  }

  get state(): NodeState {
    if (this.#health !== 'HEALTHY') return this.#health;
    return this.draining ? 'DRAINING' : 'HEALTHY';
  }

  toInfo(nowMs: number): NodeInfo {
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
      recentFlaps: this.recentFlaps(nowMs),
    };
  }
}
