import type { Attempt, AttemptRef, Job } from './types.js';

/**
 * One attempt of a job as a string, `jobId/attempt`: the key master and worker
 * use for an attempt in their maps (reservations on a node, open streams, the
 * worker's book). The number comes last, so the last `/` splits a key whatever the id holds.
 */
export function attemptKey(jobId: string, attempt: number): string {
  return `${jobId}/${attempt}`;
}

/** The attempt an `attemptKey` names. */
export function parseAttemptKey(key: string): AttemptRef {
  const slash = key.lastIndexOf('/');
  return { jobId: key.slice(0, slash), attempt: Number(key.slice(slash + 1)) };
}

/** The job's latest attempt (the one that runs, if the job is RUNNING); undefined before its first dispatch. */
export function currentAttempt(job: Job): Attempt | undefined {
  return job.attemptHistory[job.attemptHistory.length - 1];
}
