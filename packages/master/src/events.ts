import type { Attempt, ErrorCode, Job } from '@dist-exec/core';

/**
 * What the master's core tells whoever watches it (metrics, the dashboard's
 * live feed). Every method is optional. Calls are synchronous and made on the
 * hot path, so an observer must be cheap and must not throw.
 */
export interface MasterObserver {
  /** Jobs were accepted and are durable. */
  jobsSubmitted?(jobs: readonly Job[]): void;
  /** A submit of `count` jobs was refused with `code` (bad spec, full queue, store down). */
  submitRejected?(code: ErrorCode, count: number): void;
  /** A job was placed on a node, `waitedMs` after it was submitted (or its previous attempt ended). */
  attemptPlaced?(job: Job, attempt: Attempt, waitedMs: number): void;
  /** The worker reported the attempt started, `latencyMs` after it was placed. */
  attemptStarted?(job: Job, attempt: Attempt, latencyMs: number): void;
  /** An attempt ended, with a result or without one (lost, cancelled, handed back). */
  attemptEnded?(job: Job, attempt: Attempt): void;
  /** The job reached COMPLETED, FAILED or CANCELLED. */
  jobFinished?(job: Job): void;
  /** Anything clients see of the job changed (state, node, pending reason). */
  jobChanged?(job: Job): void;
  /** A worker heartbeat arrived. */
  heartbeatReceived?(nodeId: string): void;
}

/**
 * Fans events out to the observers subscribed to it: the typed seam between
 * the core (ClusterState, NodeManager) and what instruments it, so no metrics
 * library calls are sprinkled through the scheduling logic.
 */
export class MasterEvents {
  #observers: MasterObserver[] = [];

  /** Returns a function that unsubscribes. */
  subscribe(observer: MasterObserver): () => void {
    this.#observers = [...this.#observers, observer];
    return () => {
      this.#observers = this.#observers.filter((o) => o !== observer);
    };
  }

  jobsSubmitted(jobs: readonly Job[]): void {
    for (const o of this.#observers) o.jobsSubmitted?.(jobs);
  }

  submitRejected(code: ErrorCode, count: number): void {
    for (const o of this.#observers) o.submitRejected?.(code, count);
  }

  attemptPlaced(job: Job, attempt: Attempt, waitedMs: number): void {
    for (const o of this.#observers) o.attemptPlaced?.(job, attempt, waitedMs);
  }

  attemptStarted(job: Job, attempt: Attempt, latencyMs: number): void {
    for (const o of this.#observers) o.attemptStarted?.(job, attempt, latencyMs);
  }

  attemptEnded(job: Job, attempt: Attempt): void {
    for (const o of this.#observers) o.attemptEnded?.(job, attempt);
  }

  jobFinished(job: Job): void {
    for (const o of this.#observers) o.jobFinished?.(job);
  }

  jobChanged(job: Job): void {
    for (const o of this.#observers) o.jobChanged?.(job);
  }

  heartbeatReceived(nodeId: string): void {
    for (const o of this.#observers) o.heartbeatReceived?.(nodeId);
  }
}
