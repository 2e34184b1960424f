import { performance } from 'node:perf_hooks';
import type { DistExecClient, JobSpecInput, JobView } from '@dist-exec/client';
import type { Job } from '@dist-exec/core';

export interface BulkRun {
  /** From the first submit to the last final state the client received. */
  seconds: number;
  /** Final states, in submit order. */
  jobs: JobView[];
}

/**
 * Submits specs in SubmitJobs calls of `chunk` and watches each chunk's final
 * states on one WatchJobs stream, as `dist-exec run --array` does: the
 * figure is what a client sees, not what the master logs.
 */
export async function submitAndWait(
  client: DistExecClient,
  specs: readonly JobSpecInput[],
  chunk = 1000,
): Promise<BulkRun> {
  const start = performance.now();
  let lastAt = start;
  const finals = new Map<string, JobView>();
  const watches: Promise<void>[] = [];
  const ids: string[] = [];
  for (let at = 0; at < specs.length; at += chunk) {
    // Answered with ids only, as `dist-exec run --array` asks.
    const chunkIds = await client.submitManyIds(specs.slice(at, at + chunk));
    ids.push(...chunkIds);
    watches.push(
      (async () => {
        for await (const job of client.watchJobs(chunkIds, { finalOnly: true })) {
          finals.set(job.id, job);
          lastAt = performance.now();
        }
      })(),
    );
  }
  await Promise.all(watches);
  const jobs = ids.map((id) => finals.get(id) as JobView);
  return { seconds: (lastAt - start) / 1000, jobs };
}

/** Throws unless every job completed: a benchmark of failing jobs measures nothing. */
export function expectCompleted(jobs: readonly Job[]): void {
  const failed = jobs.filter((job) => job?.state !== 'COMPLETED');
  if (failed.length === 0) return;
  const first = failed[0];
  throw new Error(
    `${failed.length} of ${jobs.length} jobs did not complete; first: ${first ? `${first.id} ${first.state} ${first.reason ?? ''} ${first.error ?? ''}` : 'no final state'}`,
  );
}
