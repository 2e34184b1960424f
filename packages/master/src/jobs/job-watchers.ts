import type { JobEvent } from '@dist-exec/core';

export type JobListener = (event: JobEvent) => void;

/** Who listens to which job's events (WatchJob streams, live views). */
export class JobWatchers {
  readonly #byJob = new Map<string, Set<JobListener>>();

  /** Calls `listener` with the job's events from now on; returns the function that stops it. */
  watch(jobId: string, listener: JobListener): () => void {
    let listeners = this.#byJob.get(jobId);
    if (!listeners) {
      listeners = new Set();
      this.#byJob.set(jobId, listeners);
    }
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0 && this.#byJob.get(jobId) === listeners) this.#byJob.delete(jobId);
    };
  }

  has(jobId: string): boolean {
    return this.#byJob.has(jobId);
  }

  emit(jobId: string, event: JobEvent): void {
    const listeners = this.#byJob.get(jobId);
    if (!listeners) return;
    for (const listener of [...listeners]) listener(event);
  }
}
