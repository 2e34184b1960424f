import { describeSpec, type Attempt, type Clock, type Job } from '@dist-exec/core';
import type { Logger } from 'pino';
import type { ClusterState } from './cluster-state.js';
import { explain, fitsNow, place, requirementKey, type PlacementPolicy } from './placement/index.js';
import type { NodeRecord } from './registry.js';

export interface SchedulerOptions {
  cluster: ClusterState;
  policy: PlacementPolicy;
  clock: Clock;
  logger: Logger;
  /** Sends the attempt to its node. */
  dispatch(job: Job, attempt: Attempt, node: NodeRecord): void;
}

/**
 * Places PENDING jobs, highest priority first and FIFO within a priority.
 * Event-driven: a pass runs soon after `kick()` (a job arrived, capacity freed,
 * a node joined), never on a polling timer. Several kicks in one tick make one pass.
 */
export class Scheduler {
  readonly #cluster: ClusterState;
  readonly #options: SchedulerOptions;
  readonly #log: Logger;
  #scheduled = false;
  #stopped = true;

  constructor(options: SchedulerOptions) {
    this.#options = options;
    this.#cluster = options.cluster;
    this.#log = options.logger.child({ component: 'scheduler' });
  }

  get policyName(): string {
    return this.#options.policy.name;
  }

  /** Started and not stopped: passes run when kicked. */
  get running(): boolean {
    return !this.#stopped;
  }

  start(): void {
    this.#stopped = false;
    this.kick();
  }

  stop(): void {
    this.#stopped = true;
  }

  kick(): void {
    if (this.#scheduled || this.#stopped) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      if (!this.#stopped) this.pass();
    });
  }

  /**
   * One pass over the queue. Stops when no node has a free slot, or when every
   * requirement class left in the queue has already failed to place in this
   * pass (jobs of one class fit the same nodes), so a pass costs
   * O(placed · log n) rather than a scan of the whole queue.
   */
  pass(): number {
    const { cluster, policy } = this.#options;
    const queue = cluster.queue;
    let freeSlots = 0;
    for (const node of cluster.registry.all()) if (node.schedulable) freeSlots += node.freeSlots;
    const blocked = new Map<string, string>();
    const deferred: Job[] = [];
    let placed = 0;
    while (freeSlots > 0 && queue.size > 0) {
      const job = queue.pop() as Job;
      const cls = requirementKey(job.spec);
      const reason = blocked.get(cls);
      if (reason !== undefined) {
        deferred.push(job);
        cluster.setPendingReason(job, reason);
        continue;
      }
      const placement = place(job, cluster.registry.all(), policy);
      if (placement.type === 'placed') {
        const attempt = cluster.assign(job, placement.node);
        this.#log.debug({ jobId: job.id, attempt: attempt.number, nodeId: placement.node.id }, 'placed job');
        this.#options.dispatch(job, attempt, placement.node);
        placed += 1;
        freeSlots -= 1;
        continue;
      }
      const text = placement.type === 'never' ? `unschedulable: ${placement.reason}` : placement.reason;
      if (placement.type === 'never' && !job.pendingReason.startsWith('unschedulable')) {
        this.#log.warn({ jobId: job.id, command: describeSpec(job.spec), reason: placement.reason }, 'job fits no registered node');
      }
      blocked.set(cls, text);
      cluster.setPendingReason(job, text);
      deferred.push(job);
      if (this.#allBlocked(blocked)) break;
    }
    for (const job of deferred) queue.push(job);
    return placed;
  }

  #allBlocked(blocked: Map<string, string>): boolean {
    for (const cls of this.#cluster.queue.classes()) if (!blocked.has(cls)) return false;
    return true;
  }

  /** Why a PENDING job waits, computed when someone asks (jobs deep in the queue are never visited by a pass). */
  pendingReason(job: Job): string {
    if (job.state !== 'PENDING') return '';
    if (job.notBeforeMs > this.#options.clock.now()) return job.pendingReason;
    const nodes = [...this.#cluster.registry.all()].filter((n) => n.health !== 'LOST' && !n.recovering);
    if (nodes.some((n) => fitsNow(n, job.spec))) return 'queued; a node has room and it is next in line';
    const placement = explain(job.spec, nodes);
    return placement.type === 'never' ? `unschedulable: ${placement.reason}` : placement.reason;
  }
}
