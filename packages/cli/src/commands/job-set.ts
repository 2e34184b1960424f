import type { JobView } from '@dist-exec/client';
import { errorMessage, jobToJson } from '@dist-exec/core';
import { describeCliError, writeOut, type CliContext } from '../context.js';
import { failureLine } from '../format.js';
import type { Interrupts } from '../interrupts.js';
import { ProgressBar, progressNote } from '../progress.js';
import { exitStatusForMany } from './exit-status.js';
import { forEachLimited, waitForJobs } from './wait-many.js';

/** Label the CLI puts on each job of an array: its index. */
export const ARRAY_INDEX_LABEL = 'dist-exec.array-index';
/** Label the CLI puts on each job of an array: the array's id. */
export const ARRAY_ID_LABEL = 'dist-exec.array';
/** Failed jobs listed one per line; the rest are only counted. */
const MAX_FAILURE_LINES = 20;
/** GetJob calls in flight while fetching finished jobs' output. */
const FETCH_CONCURRENCY = 8;
const CANCEL_CONCURRENCY = 16;

export interface WaitReportOptions {
  /** Print each job's output (stdout, then stderr) as soon as it has finished. */
  output: boolean;
  /** Print the finished jobs as one JSON array (with output) instead. */
  json: boolean;
}

/** How a job is named in messages: its id, and its array index when it has one. */
export function jobName(job: Pick<JobView, 'id' | 'spec'>): string {
  const index = job.spec.labels[ARRAY_INDEX_LABEL];
  return index === undefined ? `job ${job.id}` : `job ${job.id} [${index}]`;
}

function summary(jobs: Iterable<JobView>, total: number): string {
  const counts = new Map<string, number>();
  for (const job of jobs) counts.set(job.state, (counts.get(job.state) ?? 0) + 1);
  const parts = ['COMPLETED', 'FAILED', 'CANCELLED']
    .filter((s) => counts.has(s))
    .map((s) => `${counts.get(s)} ${s.toLowerCase()}`);
  return `${total} job${total === 1 ? '' : 's'}: ${parts.join(', ') || 'none finished'}`;
}

/** After a Ctrl-C: `cancelled 180 jobs; 20 had finished (2 failed)`. */
function cancelSummary(jobs: Iterable<JobView>): string {
  let cancelled = 0;
  let finished = 0;
  let failed = 0;
  for (const job of jobs) {
    if (job.state === 'CANCELLED') cancelled += 1;
    else finished += 1;
    if (job.state === 'FAILED') failed += 1;
  }
  return `cancelled ${cancelled} job${cancelled === 1 ? '' : 's'}; ${finished} had finished${failed ? ` (${failed} failed)` : ''}`;
}

/**
 * Waits for many jobs with a progress bar on a terminal; prints failed jobs
 * and a summary on stderr, and each job's output or the JSON of all of them
 * on stdout. The first Ctrl-C (counted from when `interrupts` was created)
 * cancels the jobs not finished yet, a second one detaches. Resolves with
 * the exit status for the set.
 */
export async function waitAndReport(
  ctx: CliContext,
  ids: readonly string[],
  options: WaitReportOptions,
  interrupts: Interrupts,
): Promise<number> {
  const progress = new ProgressBar({ stream: process.stderr, label: 'running', total: ids.length });
  const detach = new AbortController();
  const finals = new Map<string, JobView>();
  const full = new Map<string, JobView>();
  let failures = 0;
  let printing: Promise<void> = Promise.resolve();
  const fetchQueue: JobView[] = [];
  let fetching: Promise<void> = Promise.resolve();
  // On a terminal the bar counts running and pending jobs too, so it watches every state change, not only the last.
  const running = new Set<string>();
  const startedAt = Date.now();
  const note = (): string =>
    progressNote({
      running: running.size,
      pending: ids.length - finals.size - running.size,
      failed: failures,
      done: finals.size,
      total: ids.length,
      elapsedMs: Date.now() - startedAt,
    });
  const ticker = progress.enabled ? setInterval(() => progress.update(finals.size, note()), 1000) : null;
  ticker?.unref();
  // After a Ctrl-C, the jobs cancelled are counted in one line at the end, not reported one by one as failures.
  let interrupted = false;

  const cancelOpen = (): void => {
    interrupted = true;
    const open = ids.filter((id) => !finals.has(id));
    progress.log(`cancelling ${open.length} unfinished job${open.length === 1 ? '' : 's'} (Ctrl-C again to detach)`);
    void forEachLimited(open, CANCEL_CONCURRENCY, (id) =>
      ctx.client.cancel(id).then(
        () => {},
        () => {},
      ),
    );
  };
  interrupts.onInterrupt((count) => {
    if (count === 1) return cancelOpen();
    progress.log('detached; the jobs go on');
    detach.abort();
  });
  // Interrupted while the jobs were being submitted.
  if (interrupts.count === 1) cancelOpen();
  else if (interrupts.count > 1) detach.abort();

  // Output is fetched a few jobs at a time and printed whole, one job after another, in the order jobs finished.
  const drainFetches = async (): Promise<void> => {
    const batch = fetchQueue.splice(0);
    const fetched = new Map<string, Promise<JobView>>();
    await forEachLimited(batch, FETCH_CONCURRENCY, async (job) => {
      const promise = ctx.client.getJob(job.id, { output: true });
      fetched.set(job.id, promise);
      await promise.catch(() => {});
    });
    for (const job of batch) {
      let withOutput: JobView;
      try {
        withOutput = await (fetched.get(job.id) as Promise<JobView>);
      } catch (error) {
        // The final state is known; only its output is missing: say so and go on with the others.
        progress.log(`${jobName(job)}: could not fetch its output (${errorMessage(error)}); dist-exec logs ${job.id}`);
        continue;
      }
      if (options.json) full.set(job.id, withOutput);
      else printing = printing.then(() => progress.around(() => printOutput(withOutput)));
    }
    await printing;
  };

  try {
    progress.update(0);
    await waitForJobs(ctx.client, ids, {
      signal: detach.signal,
      ...(progress.enabled
        ? {
            onChange: (job: JobView) => {
              if (job.state === 'RUNNING') running.add(job.id);
              else running.delete(job.id);
              progress.update(finals.size, note());
            },
          }
        : {}),
      onFinal: (job) => {
        finals.set(job.id, job);
        running.delete(job.id);
        if (job.state !== 'COMPLETED' && !(interrupted && job.state === 'CANCELLED')) {
          failures += 1;
          if (!options.json && failures <= MAX_FAILURE_LINES) progress.log(failureLine(job, jobName(job)));
        }
        progress.update(finals.size, note());
        if (options.output || options.json) {
          fetchQueue.push(job);
          fetching = fetching.then(drainFetches);
        }
      },
      onResume: (remaining, error, first) =>
        first &&
        progress.log(
          `dist-exec: ${describeCliError(error, ctx.masterAddress)}; watching ${remaining} unfinished jobs again`,
        ),
    });
    await fetching;
  } finally {
    if (ticker) clearInterval(ticker);
    progress.clear();
  }
  if (detach.signal.aborted) {
    process.stderr.write(`${summary(finals.values(), ids.length)}; ${ids.length - finals.size} still running\n`);
    return 125;
  }
  if (options.json) {
    await writeOut(
      process.stdout,
      `${JSON.stringify(
        ids.map((id) => jobToJson(full.get(id) ?? (finals.get(id) as JobView))),
        null,
        2,
      )}\n`,
    );
  } else {
    if (failures > MAX_FAILURE_LINES) process.stderr.write(`… and ${failures - MAX_FAILURE_LINES} more failed jobs\n`);
    process.stderr.write(`${interrupted ? cancelSummary(finals.values()) : summary(finals.values(), ids.length)}\n`);
  }
  return exitStatusForMany(finals.values());
}

async function printOutput(job: JobView): Promise<void> {
  if (job.stdout?.length) await writeOut(process.stdout, job.stdout);
  if (job.stderr?.length) await writeOut(process.stderr, job.stderr);
}
