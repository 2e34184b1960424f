import { FailedPreconditionError } from './errors.js';
import type { FailureReason, JobSpec, JobState } from './types.js';

/**
 * The job state machine. Terminal states are final; a failed attempt goes
 * back to PENDING while retries remain and the failure is retryable.
 *
 *   PENDING ──dispatch──▶ RUNNING ──exit 0──▶ COMPLETED
 *      ▲                    │ ├──exit≠0 / timeout / worker lost──▶ FAILED
 *      └──retry (backoff)───┘ └──cancel──▶ CANCELLED
 */
const TRANSITIONS: Record<JobState, readonly JobState[]> = {
  PENDING: ['RUNNING', 'CANCELLED', 'FAILED'],
  RUNNING: ['COMPLETED', 'FAILED', 'CANCELLED', 'PENDING'],
  COMPLETED: [],
  FAILED: [],
  CANCELLED: [],
};

export function isTerminal(state: JobState): boolean {
  return TRANSITIONS[state].length === 0;
}

export function canTransition(from: JobState, to: JobState): boolean {
  return TRANSITIONS[from].includes(to);
}

export function assertTransition(jobId: string, from: JobState, to: JobState): void {
  if (!canTransition(from, to)) {
    throw new FailedPreconditionError(`job ${jobId} cannot go from ${from} to ${to}`);
  }
}

/**
 * Whether a failed attempt may be retried. Losing the worker is never the
 * job's fault; a non-zero exit or a timeout is retried only when the job asks.
 */
export function isRetryableFailure(reason: FailureReason, spec: Pick<JobSpec, 'retryOnFailure'>): boolean {
  switch (reason) {
    case 'WORKER_LOST':
      return true;
    case 'EXIT_CODE':
    case 'TIMEOUT':
    case 'EXECUTOR_ERROR':
    case 'OUT_OF_MEMORY':
      return spec.retryOnFailure;
    case 'CANCELLED':
      return false;
  }
}

/** State after an attempt failed with `reason`, given how many attempts were made. */
export function stateAfterFailure(
  reason: FailureReason,
  attemptsMade: number,
  spec: Pick<JobSpec, 'retryOnFailure' | 'maxRetries'>,
): 'PENDING' | 'FAILED' | 'CANCELLED' {
  if (reason === 'CANCELLED') return 'CANCELLED';
  if (isRetryableFailure(reason, spec) && attemptsMade < spec.maxRetries + 1) return 'PENDING';
  return 'FAILED';
}
