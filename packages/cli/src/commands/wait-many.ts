import type { DistExecClient, JobSpecInput, JobView } from '@dist-exec/client';
import { setTimeout as delay } from 'node:timers/promises';
import {
  backoffDelay,
  isDistExecError,
  isTerminal,
  RETRYABLE_CODES,
  UnavailableError,
  type DistExecError,
} from '@dist-exec/core';
import { PartialSubmitError } from '../array-resume.js';

/** Specs per SubmitJobs call: small enough to show progress, large enough to cost one round trip per thousand jobs. */
export const SUBMIT_CHUNK = 1000;
/** Ids per WatchJobs call (the master's limit). */
const WATCH_CHUNK = 100_000;
/** How long to keep retrying while the master is unreachable (a master restart takes seconds). */
export const RETRY_FOR_MS = 60_000;

/**
 * Runs `call` again while it fails with UNAVAILABLE or DEADLINE_EXCEEDED, for
 * up to `windowMs` from the first failure. Only for calls that are safe to repeat.
 */
async function retrying<T>(
  call: () => Promise<T>,
  onRetry?: (error: DistExecError, first: boolean) => void,
  signal?: AbortSignal,
  windowMs = RETRY_FOR_MS,
): Promise<T> {
  let since = 0;
  for (let retry = 1; ; retry += 1) {
    try {
      return await call();
    } catch (error) {
      if (signal?.aborted || !isDistExecError(error) || !RETRYABLE_CODES.has(error.code)) throw error;
      since ||= Date.now();
      if (Date.now() - since > windowMs) throw error;
      onRetry?.(error, retry === 1);
      await delay(backoffDelay(retry, { baseMs: 250, capMs: 5000 }));
    }
  }
}

export interface SubmitChunksOptions {
  onChunk(submitted: number): void;
  /** Ctrl-C: no further chunk is sent. */
  stopped?(): boolean;
  /** How long a chunk is sent again while the master is unreachable. @default RETRY_FOR_MS */
  retryWindowMs?: number;
  /** The master went away (`first` of an outage); the chunk is sent again. */
  onRetry?(error: DistExecError, first: boolean): void;
}

/**
 * Submits specs in chunks of SUBMIT_CHUNK (answered with ids only). When every spec of a chunk has
 * an idempotency key, a chunk whose answer was lost is sent again for up to
 * `retryWindowMs`: the keys make the master return the jobs it already has
 * instead of new ones. Submits no further chunk once `stopped()` (Ctrl-C).
 * A chunk that fails for good after others went through throws a
 * PartialSubmitError with the ids acknowledged so far.
 */
export async function submitInChunks(
  client: DistExecClient,
  specs: readonly JobSpecInput[],
  options: SubmitChunksOptions,
): Promise<string[]> {
  const ids: string[] = [];
  for (let at = 0; at < specs.length && !options.stopped?.(); at += SUBMIT_CHUNK) {
    const chunk = specs.slice(at, at + SUBMIT_CHUNK);
    // Without keys a repeated call could create jobs twice: then a lost answer is an error the user sees.
    const repeatable = chunk.every((spec) => spec.idempotencyKey);
    try {
      ids.push(
        ...(await (repeatable
          ? retrying(() => client.submitManyIds(chunk), options.onRetry, undefined, options.retryWindowMs)
          : client.submitManyIds(chunk))),
      );
    } catch (error) {
      if (!repeatable || !(error instanceof Error)) throw error;
      throw new PartialSubmitError(ids, chunk.length, error);
    }
    options.onChunk(ids.length);
  }
  return ids;
}

export interface WaitManyOptions {
  signal?: AbortSignal;
  /** Each job's final state, once. */
  onFinal(job: JobView): void;
  /** Each change of an unfinished job's state (asked for only when given: it costs an event per change). */
  onChange?(job: JobView): void;
  /** The stream broke (or the master went silent); watching again the jobs not finished yet. `first` of an outage. */
  onResume?(remaining: number, error: DistExecError, first: boolean): void;
}

/**
 * Waits until every job has finished, on WatchJobs streams of up to 100,000
 * ids. A broken stream is resumed for the jobs still open, so a master
 * restart loses no final state. Resolves with the final states (fewer when
 * aborted).
 */
export async function waitForJobs(
  client: DistExecClient,
  ids: readonly string[],
  options: WaitManyOptions,
): Promise<Map<string, JobView>> {
  const finals = new Map<string, JobView>();
  const watchGroup = async (group: readonly string[]): Promise<void> => {
    let open = group;
    await retrying(
      async () => {
        open = open.filter((id) => !finals.has(id));
        if (open.length === 0) return;
        for await (const job of client.watchJobs(open, {
          finalOnly: !options.onChange,
          ...(options.signal ? { signal: options.signal } : {}),
        })) {
          if (finals.has(job.id)) continue;
          if (!isTerminal(job.state)) {
            options.onChange?.(job);
            continue;
          }
          finals.set(job.id, job);
          options.onFinal(job);
        }
        // The stream ends only when every job has finished; anything else means it was cut.
        if (!options.signal?.aborted && open.some((id) => !finals.has(id)))
          throw new UnavailableError('the watch ended before every job finished');
      },
      (error, first) => options.onResume?.(open.filter((id) => !finals.has(id)).length, error, first),
      options.signal,
    ).catch((error: unknown) => {
      if (!options.signal?.aborted) throw error;
    });
  };
  const groups: string[][] = [];
  for (let at = 0; at < ids.length; at += WATCH_CHUNK) groups.push(ids.slice(at, at + WATCH_CHUNK));
  await Promise.all(groups.map(watchGroup));
  return finals;
}

/** Runs `task` over items with at most `concurrency` at once. */
export async function forEachLimited<T>(
  items: readonly T[],
  concurrency: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const item = items[next] as T;
        next += 1;
        await task(item);
      }
    }),
  );
}
