import { describeSpec, type Attempt, type Clock, type Job } from '@dist-exec/core';
import type { Logger } from 'pino';
import { BlockedClasses } from './jobs/blocked-classes.js';
import type { ClusterState } from './cluster-state.js';
import type { PlacementPolicy } from './placement/index.js';
import { PlacementIndex } from './placement/placement-index.js';
import type { NodeRecord } from './nodes/node-record.js';

export interface SchedulerOptions {
  /** The queue it takes jobs from, and what it asks for passes through (`kick`). */
  cluster: ClusterState;
  policy: PlacementPolicy;
  clock: Clock;
  logger: Logger;
  /** Sends the attempt to its node (the dispatcher). */
  dispatch(job: Job, attempt: Attempt, node: NodeRecord): void;
}

/**
 * Places PENDING jobs, highest priority first and FIFO within a priority.
 * Event-driven: a pass runs soon after a kick (a job arrived, capacity freed,
 * a node joined: ClusterState passes on every such request), never on a
 * polling timer. Several kicks in one tick make one pass. Reads the nodes
 * through the placement index and changes jobs only through ClusterState.
 */
export class Scheduler {
  readonly #cluster: ClusterState;
  readonly #options: SchedulerOptions;
  readonly #log: Logger;
  readonly #index: PlacementIndex;
  readonly #blocked = new BlockedClasses();
  #scheduled = false;
  #stopped = true;

  constructor(options: SchedulerOptions) {
    this.#options = options;
    this.#cluster = options.cluster;
    this.#log = options.logger.child({ component: 'scheduler' });
    this.#index = new PlacementIndex(options.cluster.registry, options.policy);
    options.cluster.registry.subscribe((node, change) => {
      if (change !== 'removed') this.#blocked.nodeChanged(node);
    });
    options.cluster.subscribe({ kick: () => this.kick() });
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
   * requirement class left in the queue is blocked (see BlockedClasses): jobs
   * of one class fit the same nodes, a class that needs at least as much as a
   * blocked one is blocked too, and a class stays blocked until a node changes
   * so that it could take it. A job that cannot be placed is looked at, not
   * taken out and put back. A pass costs O(placed · (classes + log nodes +
   * log queue)) plus one failed placement per class that newly blocks.
   */
  pass(): number {
    const cluster = this.#cluster;
    const index = this.#index;
    const queue = cluster.queue;
    let freeSlots = index.freeSlots;
    const blocked = this.#blocked;
    let placed = 0;
    while (freeSlots > 0) {
      // The best job of a class not blocked.
      const job = queue.peek(blocked);
      if (!job) {
        this.#reportNever();
        break;
      }
      const node = index.place(job);
      if (node) {
        queue.remove(job.id);
        const attempt = cluster.assign(job, node);
        this.#log.debug({ jobId: job.id, attempt: attempt.number, nodeId: node.id }, 'placed job');
        this.#options.dispatch(job, attempt, node);
        placed += 1;
        freeSlots -= 1;
        continue;
      }
      const cls = queue.classOf(job.id) as string;
      blocked.add(cls, job.spec);
      this.#noteWaiting(job, this.#never(job, cls));
    }
    return placed;
  }

  /** 'unschedulable: …' when no registered node could ever take the job (logged once per job), else ''. */
  #never(job: Job, cls: string): string {
    const never = this.#index.neverReason(job.spec, cls);
    if (!never) return '';
    if (!job.pendingReason.startsWith('unschedulable')) {
      this.#log.warn({ jobId: job.id, command: describeSpec(job.spec), reason: never }, 'job fits no registered node');
    }
    return `unschedulable: ${never}`;
  }

  /**
   * Classes blocked only because they need at least as much as a blocked
   * one were not tried: say so now of the ones no node could ever take, so
   * they do not wait silently behind a class that is merely full.
   */
  #reportNever(): void {
    this.#cluster.queue.forEachHead((cls, head) => {
      if (this.#blocked.failed(cls)) return;
      const never = this.#never(head, cls);
      if (never) this.#cluster.setPendingReason(head, never);
    });
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
