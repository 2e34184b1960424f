import { describeSpec, type Attempt, type Clock, type Job } from '@dist-exec/core';
import type { Logger } from 'pino';
import type { ClusterState } from './cluster-state.js';
import { requirementKey, type PlacementPolicy } from './placement/index.js';
import { PlacementIndex } from './placement/placement-index.js';
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
  readonly #index: PlacementIndex;
  #scheduled = false;
  #stopped = true;

  constructor(options: SchedulerOptions) {
    this.#options = options;
    this.#cluster = options.cluster;
    this.#log = options.logger.child({ component: 'scheduler' });
    this.#index = new PlacementIndex(options.cluster.registry, options.policy);
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
   * O(placed · log nodes) rather than a scan of the whole queue.
   */
  pass(): number {
    const cluster = this.#cluster;
    const index = this.#index;
    const queue = cluster.queue;
    let freeSlots = index.freeSlots;
    /** Requirement class → why its jobs cannot be placed ('' = they wait; explained when someone asks). */
    const blocked = new Map<string, string>();
    const deferred: Job[] = [];
    let placed = 0;
    while (freeSlots > 0) {
      // The best job of a class not yet found unplaceable in this pass.
      const job = queue.pop(blocked);
      if (!job) break;
      const node = index.place(job);
      if (node) {
        const attempt = cluster.assign(job, node);
        this.#log.debug({ jobId: job.id, attempt: attempt.number, nodeId: node.id }, 'placed job');
        this.#options.dispatch(job, attempt, node);
        placed += 1;
        freeSlots -= 1;
        continue;
      }
      const never = index.neverReason(job.spec);
      const text = never ? `unschedulable: ${never}` : '';
      if (never && !job.pendingReason.startsWith('unschedulable')) {
        this.#log.warn({ jobId: job.id, command: describeSpec(job.spec), reason: never }, 'job fits no registered node');
      }
      blocked.set(requirementKey(job.spec), text);
      this.#noteWaiting(job, text);
      deferred.push(job);
    }
    for (const job of deferred) queue.push(job);
    return placed;
  }

  /**
   * Records why a job waits. Explaining a wait costs O(nodes), so it is done
   * here only for jobs someone is watching; `pendingReason()` explains on read.
   */
  #noteWaiting(job: Job, never: string): void {
    if (never) this.#cluster.setPendingReason(job, never);
    else this.#cluster.setPendingReason(job, this.#cluster.isWatched(job.id) ? this.#explain(job) : '');
  }

  #explain(job: Job): string {
    const verdict = this.#index.explain(job.spec);
    return verdict.type === 'never' ? `unschedulable: ${verdict.reason}` : verdict.reason;
  }

  /** Why a PENDING job waits, computed when someone asks (jobs deep in the queue are never visited by a pass). */
  pendingReason(job: Job): string {
    if (job.state !== 'PENDING') return '';
    if (job.notBeforeMs > this.#options.clock.now()) return job.pendingReason;
    if (this.#index.fits(job.spec)) return 'queued; a node has room and it is next in line';
    return this.#explain(job);
  }
}
