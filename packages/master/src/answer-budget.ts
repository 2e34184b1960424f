/**
 * Keeps the JobService's answers within ANSWER_BUDGET_BYTES (4 MiB, what any
 * gRPC client receives by default), however large the jobs, so a client
 * never fails to read an answer, and above all never after the master acted:
 *
 * - a ListJobs page ends early (at least one job, which always fits: the spec
 *   limits keep a job well below it) and its next_page_token goes on from there;
 * - GetJob leaves out the output that does not fit, counted as dropped;
 * - SubmitJobs without ids_only is refused, before anything is stored, when
 *   its whole jobs could exceed the budget.
 */
import { InvalidArgumentError, type Job, type JobView } from '@dist-exec/core';
import { ANSWER_BUDGET_BYTES, embeddedBytes, jobToWire, v1, type wire } from '@dist-exec/proto';
import type { JobPage } from './store/store.js';

/**
 * What a stored job adds to its spec in an answer, at most: id, state,
 * creation time and the defaults compileJobSpec fills (type, method, timeout).
 * An idempotency key's earlier job may carry more (its attempts), which
 * `wholeJobsFit` checks once the answer exists.
 */
const NEW_JOB_OVERHEAD_BYTES = 160;

/** A job's encoded size, as GetJob sends it. */
export function encodedJobBytes(job: wire.Job): number {
  return v1.JobService.service.GetJob.responseSerialize(job).length;
}

/**
 * The first jobs of a page whose answer fits, with the token that continues
 * after the last one kept (tokens are submit sequence numbers, see Store).
 */
export function fitPage(
  page: JobPage,
  jobs: wire.Job[],
  budget = ANSWER_BUDGET_BYTES,
): { jobs: wire.Job[]; nextPageToken: string } {
  let used = 0;
  for (let i = 0; i < jobs.length; i += 1) {
    used += embeddedBytes(encodedJobBytes(jobs[i] as wire.Job));
    if (used > budget && i > 0) return { jobs: jobs.slice(0, i), nextPageToken: String(page.jobs[i - 1]?.seq) };
  }
  return { jobs, nextPageToken: page.nextPageToken };
}

/**
 * The job as GetJob answers it with its output: as much of stdout and stderr
 * as fits (the start of each, as --output-limit keeps the start), the rest
 * counted in the dropped bytes. `envValues`: with its env's values (an admin asked).
 */
export function fitOutput(job: JobView, budget = ANSWER_BUDGET_BYTES, envValues = false): wire.Job {
  const answer = jobToWire(job, false, envValues);
  const stdout = job.stdout?.length ?? 0;
  const stderr = job.stderr?.length ?? 0;
  if (stdout + stderr === 0) return answer;
  const room = budget - encodedJobBytes({ ...answer, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) }) - 16;
  if (stdout + stderr <= room) return answer;
  // Each stream gets half, and what the other does not need.
  const keepOut = Math.max(0, Math.min(stdout, Math.max(Math.floor(room / 2), room - stderr)));
  const keepErr = Math.max(0, Math.min(stderr, room - keepOut));
  return {
    ...answer,
    stdout: (job.stdout as Uint8Array).subarray(0, keepOut),
    stderr: (job.stderr as Uint8Array).subarray(0, keepErr),
    stdoutDroppedBytes: job.stdoutDroppedBytes + stdout - keepOut,
    stderrDroppedBytes: job.stderrDroppedBytes + stderr - keepErr,
  };
}

/** Refuses, before anything is stored, a SubmitJobs whose answer of whole jobs could outgrow the budget. */
export function checkWholeJobsAnswer(requestBytes: number, count: number, budget = ANSWER_BUDGET_BYTES): void {
  const estimate = requestBytes + count * NEW_JOB_OVERHEAD_BYTES;
  if (estimate <= budget) return;
  const mib = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);
  throw new InvalidArgumentError(
    `idsOnly: the answer with ${count} whole jobs could be ${mib(estimate)} MiB, more than the ` +
      `${mib(budget + 4096)} MiB a gRPC client receives by default; set ids_only (the ids are enough to watch ` +
      'the jobs) or send fewer jobs per call. Nothing was stored',
    { field: 'idsOnly' },
  );
}

/** True when an answer of these whole jobs fits (checked after the submit, for earlier jobs of idempotency keys). */
export function wholeJobsFit(jobs: readonly Job[], budget = ANSWER_BUDGET_BYTES): boolean {
  let used = 0;
  for (const job of jobs) {
    used += embeddedBytes(encodedJobBytes(jobToWire(job)));
    if (used > budget) return false;
  }
  return true;
}
