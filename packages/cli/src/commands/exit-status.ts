import type { Job } from '@dist-exec/core';

type Outcome = Pick<Job, 'state' | 'reason' | 'exitCode'>;

/** `dist-exec run`'s exit status for a finished job: the job's own, or one like timeout(1) and shells use. */
export function exitStatusFor(job: Outcome): number {
  switch (job.state) {
    case 'COMPLETED':
      return 0;
    case 'CANCELLED':
      return 130;
    case 'FAILED':
      if (job.reason === 'TIMEOUT') return 124;
      // Killed by the OOM killer: what a shell says of a SIGKILLed command.
      if (job.reason === 'OUT_OF_MEMORY') return 137;
      if (job.reason === 'EXIT_CODE') return job.exitCode && job.exitCode > 0 && job.exitCode < 256 ? job.exitCode : 1;
      return 125;
    default:
      return 125;
  }
}

/**
 * The exit status of a set of jobs (an array, `dist-exec wait`): the highest
 * one `run` would give for any of them, as `sbatch --wait` does for an
 * array, so 0 means every job completed.
 */
export function exitStatusForMany(jobs: Iterable<Outcome>): number {
  let status = 0;
  for (const job of jobs) status = Math.max(status, exitStatusFor(job));
  return status;
}
