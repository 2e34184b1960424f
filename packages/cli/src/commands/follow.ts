import type { DistExecClient, RunEvent } from '@dist-exec/client';
import { setTimeout as delay } from 'node:timers/promises';
import {
  backoffDelay,
  isDistExecError,
  UnavailableError,
  type DistExecError,
  isTerminal,
  RETRYABLE_CODES,
  type Job,
  type OutputChunk,
} from '@dist-exec/core';

export interface FollowOptions {
  fromOffset: number;
  follow: boolean;
  noOutput?: boolean;
  signal?: AbortSignal;
  onOutput(chunk: OutputChunk): Promise<void> | void;
  onJob?(job: Job): void;
  /**
   * Called when the stream broke (or the master went silent under it) and is
   * resumed from `offset`; `first` for the first try of an outage.
   */
  onResume?(offset: number, error: DistExecError, first: boolean): void;
  /** A stream already open on the job (the rest of a RunJob call), read before any WatchJob. */
  opened?: AsyncIterable<RunEvent>;
}

/** How long to keep resuming a broken watch (a master restart takes seconds). */
const RESUME_FOR_MS = 60_000;

/**
 * Watches a job, resuming from the last offset received when the stream
 * breaks, so output is neither missed nor repeated. Resolves with the job's
 * last state.
 */
export async function followJob(client: DistExecClient, id: string, options: FollowOptions): Promise<Job | null> {
  let offset = options.fromOffset;
  let last: Job | null = null;
  let brokenSince = 0;
  let retries = 0;
  let lastError: DistExecError | null = null;
  let opened = options.opened;
  for (;;) {
    const events =
      opened ??
      client.watch(id, {
        fromOffset: offset,
        follow: options.follow,
        noOutput: options.noOutput ?? false,
        ...(options.signal ? { signal: options.signal } : {}),
      });
    opened = undefined;
    try {
      for await (const event of events) {
        brokenSince = 0;
        retries = 0;
        if (event.type === 'submitted') continue;
        if (event.type === 'output') {
          await options.onOutput(event.chunk);
          offset = event.chunk.offset + event.chunk.data.length;
        } else {
          last = event.job;
          options.onJob?.(event.job);
        }
      }
      // A follow ends only with the final state; anything else means the stream was cut.
      if (!options.follow || (last && isTerminal(last.state)) || options.signal?.aborted) return last;
    } catch (error) {
      if (options.signal?.aborted) return last;
      if (!isDistExecError(error) || !RETRYABLE_CODES.has(error.code)) throw error;
      const now = Date.now();
      brokenSince ||= now;
      if (now - brokenSince > RESUME_FOR_MS) throw error;
      lastError = error;
    }
    retries += 1;
    options.onResume?.(offset, lastError ?? new UnavailableError('the stream ended before the job did'), retries === 1);
    await delay(backoffDelay(retries, { baseMs: 250, capMs: 5000 }));
  }
}
