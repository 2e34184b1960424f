import { checkJobId, InvalidArgumentError, isTerminal, type Job, type JobEvent } from '@dist-exec/core';
import type { ClusterState } from '../cluster-state.js';

/** Most jobs one WatchJobs call may name (as many as one SubmitJobs call may create). */
export const MAX_WATCHED_JOBS = 100_000;

export interface WatchManyRequest {
  jobIds: readonly string[];
  /** Send each job once, when it has finished, instead of every change. */
  finalOnly: boolean;
}

export interface WatchManySink {
  job(job: Job): void;
  end(): void;
  /** Registers the function that stops the watch when the client goes away. */
  onClose(stop: () => void): void;
}

/**
 * Streams the states of many jobs until each has finished. Like `watchJob` it
 * subscribes before reading, so a change between the read and the live
 * events is neither missed nor lost; a repeated state is harmless. An
 * unknown id fails the whole call before anything is sent.
 */
export async function watchJobs(cluster: ClusterState, request: WatchManyRequest, sink: WatchManySink): Promise<void> {
  if (request.jobIds.length === 0) throw new InvalidArgumentError('ids: give at least one job id', { field: 'ids' });
  if (request.jobIds.length > MAX_WATCHED_JOBS) {
    throw new InvalidArgumentError(
      `ids: ${request.jobIds.length} jobs in one call; at most ${MAX_WATCHED_JOBS} are allowed`,
      { field: 'ids' },
    );
  }
  const ids = [...new Set(request.jobIds.map((id) => checkJobId(id, 'ids')))];
  const unsubscribe = new Map<string, () => void>();
  const buffered: Job[] = [];
  let replaying = true;
  let closed = false;
  // Jobs not yet seen in a final state.
  const open = new Set<string>();

  const stopAll = (): void => {
    for (const stop of unsubscribe.values()) stop();
    unsubscribe.clear();
  };
  const finish = (): void => {
    if (closed) return;
    closed = true;
    stopAll();
    sink.end();
  };
  const handle = (job: Job): void => {
    if (closed || !open.has(job.id)) return;
    const final = isTerminal(job.state);
    if (final || !request.finalOnly) sink.job(job);
    if (!final) return;
    open.delete(job.id);
    unsubscribe.get(job.id)?.();
    unsubscribe.delete(job.id);
    if (open.size === 0) finish();
  };
  const listener = (event: JobEvent): void => {
    if (event.type !== 'job') return;
    if (replaying) buffered.push(event.job);
    else handle(event.job);
  };
  for (const id of ids) unsubscribe.set(id, cluster.watch(id, listener));
  sink.onClose(() => {
    closed = true;
    stopAll();
  });

  let current: Job[];
  try {
    current = [];
    for (const id of ids) current.push(cluster.activeJob(id) ?? (await cluster.getJob(id)));
  } catch (error) {
    stopAll();
    throw error;
  }
  for (const id of ids) open.add(id);
  replaying = false;
  for (const job of current) handle(job);
  for (const job of buffered.splice(0)) handle(job);
}
