import {
  backoffDelay,
  stateAfterFailure,
  type Attempt,
  type BackoffOptions,
  type Clock,
  type FailureReason,
  type Job,
  type Timer,
} from '@dist-exec/core';

export interface RetryControllerOptions {
  clock: Clock;
  /** Delays between retries: exponential from `baseMs`, up to `capMs`, with jitter. */
  backoff: BackoffOptions;
  /** Random numbers in [0, 1) for the jitter. @default Math.random */
  random?: () => number;
}

/** What a failed attempt means for its job: another attempt (after `delayMs`), or the end. */
export type RetryVerdict = { type: 'retry'; delayMs: number } | { type: 'finish'; state: 'FAILED' | 'CANCELLED' };

/**
 * Retries with exponential backoff (DESIGN.md, "Controllers"). Decides what a
 * failed attempt means for its job, and holds a job that waits out its
 * backoff until it may be queued again. ClusterState applies the verdict: it
 * stays the one writer of job state.
 *
 * Attempts that surely never ran (`free`: declined, handed back, never
 * reached the worker) cost no retry and wait no backoff.
 */
export class RetryController {
  readonly #options: RetryControllerOptions;
  readonly #waiting = new Map<string, Timer>();

  constructor(options: RetryControllerOptions) {
    this.#options = options;
  }

  /** The verdict on `job` after its current `attempt` failed with `reason`. */
  verdict(job: Job, attempt: Attempt, reason: FailureReason): RetryVerdict {
    const charged = job.attemptHistory.filter((a) => !a.free).length;
    const next = attempt.free && reason !== 'CANCELLED' ? 'PENDING' : stateAfterFailure(reason, charged, job.spec);
    if (next !== 'PENDING') return { type: 'finish', state: next };
    return {
      type: 'retry',
      delayMs: attempt.free ? 0 : backoffDelay(charged, this.#options.backoff, this.#options.random),
    };
  }

  /** Calls `ready` once the job's backoff is over (at `job.notBeforeMs`), unless `cancel` comes first. */
  wait(job: Job, ready: () => void): void {
    const delay = job.notBeforeMs - this.#options.clock.now();
    this.#waiting.get(job.id)?.cancel();
    this.#waiting.set(
      job.id,
      this.#options.clock.setTimeout(() => {
        this.#waiting.delete(job.id);
        ready();
      }, delay),
    );
  }

  /** The job no longer waits (it finished while waiting). */
  cancel(jobId: string): void {
    this.#waiting.get(jobId)?.cancel();
    this.#waiting.delete(jobId);
  }

  /** Stops every wait; the jobs stay PENDING in the store for the next start. */
  stop(): void {
    for (const timer of this.#waiting.values()) timer.cancel();
    this.#waiting.clear();
  }
}
