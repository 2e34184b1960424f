import type { Clock, Timer } from '@dist-exec/core';
import type { Logger } from 'pino';
import type { Store } from '../store/store.js';

/** Most jobs deleted in one transaction. */
export const DEFAULT_GC_BATCH = 1000;
/** Fewest: below this a batch's fixed cost (its queries and commit) outweighs the deletes. */
const MIN_GC_BATCH = 20;
/**
 * How long one batch may hold the master's event loop (SQLite deletes run on
 * it). The batch size follows what the last batch cost: a small store's
 * deletes are cheap and go a thousand at a time; a large one's touch pages
 * the OS has to read, and go fewer at a time, so a pass never stalls
 * submissions and results for more than about this long.
 */
export const DEFAULT_GC_BATCH_MS = 8;

export interface HistoryGcOptions {
  store: Store;
  clock: Clock;
  logger: Logger;
  /** Finished jobs older than this go, in ms; 0 = no age limit. */
  retentionMs: number;
  /** Most finished jobs kept; 0 = no count limit. */
  maxJobs: number;
  /** Time between passes, in ms. */
  intervalMs: number;
  /** Most jobs deleted per transaction; the loop yields between batches. @default 1000 */
  batchSize?: number;
  /** What one batch should take, in ms; the next batch's size is scaled to it. @default the store's gcBatchMs, or 8 */
  batchMs?: number;
}

/**
 * The size of the batch after one that deleted `deleted` jobs in `elapsedMs`:
 * scaled toward `batchMs`, at most doubling (one cheap batch proves little),
 * between MIN_GC_BATCH and `maxBatch`.
 */
export function nextBatch(
  limit: number,
  deleted: number,
  elapsedMs: number,
  batchMs: number,
  maxBatch: number,
): number {
  const scaled = elapsedMs <= 0 ? limit * 2 : Math.floor((deleted * batchMs) / elapsedMs);
  return Math.max(Math.min(MIN_GC_BATCH, maxBatch), Math.min(maxBatch, limit * 2, scaled));
}

/**
 * Deletes finished jobs and their output past the retention period or beyond
 * the maximum count, like Nomad's job GC or a Kubernetes Job's
 * ttlSecondsAfterFinished. Works in small batches so a large backlog never
 * stalls submissions.
 */
export class HistoryGc {
  readonly #options: HistoryGcOptions;
  readonly #log: Logger;
  #timer: Timer | null = null;
  #running: Promise<number> | null = null;
  #stopped = false;
  /** The batch size the last batch's cost suggested: a pass starts where the previous one ended. */
  #limit = DEFAULT_GC_BATCH;

  constructor(options: HistoryGcOptions) {
    this.#options = options;
    this.#log = options.logger.child({ component: 'history-gc' });
  }

  get enabled(): boolean {
    return this.#options.retentionMs > 0 || this.#options.maxJobs > 0;
  }

  start(): void {
    if (this.#timer || !this.enabled) return;
    this.#stopped = false;
    const tick = (): void => {
      void this.runOnce().finally(() => {
        if (!this.#stopped) this.#timer = this.#options.clock.setTimeout(tick, this.#options.intervalMs);
      });
    };
    // The first pass soon after start clears what piled up while the master was down.
    this.#timer = this.#options.clock.setTimeout(tick, Math.min(1000, this.#options.intervalMs));
  }

  /** One full pass, batch by batch until nothing is left to delete. Resolves with how many jobs went. */
  runOnce(): Promise<number> {
    this.#running ??= this.#pass().finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  async #pass(): Promise<number> {
    const { store, clock, retentionMs, maxJobs } = this.#options;
    const maxBatch = this.#options.batchSize ?? DEFAULT_GC_BATCH;
    const batchMs = this.#options.batchMs ?? store.gcBatchMs ?? DEFAULT_GC_BATCH_MS;
    let limit = Math.min(maxBatch, this.#limit);
    let total = 0;
    try {
      for (;;) {
        const started = clock.now();
        const deleted = await store.deleteFinishedJobs({
          finishedBeforeMs: retentionMs > 0 ? started - retentionMs : -Infinity,
          keepMax: maxJobs > 0 ? maxJobs : Infinity,
          limit,
        });
        total += deleted;
        // Fewer than asked: nothing more is due.
        if (deleted < limit || this.#stopped) break;
        limit = this.#limit = nextBatch(limit, deleted, clock.now() - started, batchMs, maxBatch);
        // Let requests in between batches.
        await new Promise((resolve) => setImmediate(resolve));
      }
    } catch (error) {
      this.#log.error({ err: error, deleted: total }, 'history gc failed');
    }
    if (total > 0) this.#log.info({ deleted: total, retentionMs, maxJobs }, 'deleted finished jobs');
    return total;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#timer = null;
    await this.#running;
  }
}
