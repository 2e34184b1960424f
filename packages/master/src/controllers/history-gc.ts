import type { Clock, Timer } from '@dist-exec/core';
import type { Logger } from 'pino';
import type { Store } from '../store/store.js';

export const DEFAULT_GC_BATCH = 1000;

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
  /** Jobs deleted per transaction; the loop yields between batches. @default 1000 */
  batchSize?: number;
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
    const limit = this.#options.batchSize ?? DEFAULT_GC_BATCH;
    let total = 0;
    try {
      for (;;) {
        const deleted = await store.deleteFinishedJobs({
          finishedBeforeMs: retentionMs > 0 ? clock.now() - retentionMs : -Infinity,
          keepMax: maxJobs > 0 ? maxJobs : Infinity,
          limit,
        });
        total += deleted;
        if (deleted < limit || this.#stopped) break;
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
