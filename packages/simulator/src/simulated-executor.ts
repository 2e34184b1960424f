import type { Clock, Timer } from '@dist-exec/core';
import type { ExecutionContext, ExecutionOutcome, Executor } from '@dist-exec/worker';

/** The task type simulated nodes offer and simulated jobs ask for. */
export const SIMULATED_TASK_TYPE = 'simulated';

/** Counts shared by every node's executor. */
export class ExecutionStats {
  started = 0;
  succeeded = 0;
  /** Stopped on request (the master cancelled or found the attempt stale). */
  stopped = 0;
  /** Running when its node crashed: no result ever left the node. */
  lostInCrash = 0;
}

export interface SimulatedExecutorOptions {
  clock: Clock;
  /** Mean run time; each run takes uniformly between half and 1.5 times it. */
  meanDurationMs: number;
  random: () => number;
  stats: ExecutionStats;
}

/**
 * "Runs" a task by waiting a simulated duration instead of starting a
 * process, so thousands of nodes fit in one process while the master sees
 * the same Execute streams (started, finished) a real worker sends.
 */
export class SimulatedExecutor implements Executor {
  readonly type = SIMULATED_TASK_TYPE;
  readonly #options: SimulatedExecutorOptions;
  readonly #running = new Set<Timer>();
  #crashed = false;

  constructor(options: SimulatedExecutorOptions) {
    this.#options = options;
  }

  run(context: ExecutionContext): Promise<ExecutionOutcome> {
    const { clock, meanDurationMs, random, stats } = this.#options;
    return new Promise((resolve) => {
      // A dead node runs nothing and reports nothing: the promise never settles.
      if (this.#crashed) return;
      stats.started += 1;
      context.onStarted(0);
      const ms = meanDurationMs * (0.5 + random());
      const timer = clock.setTimeout(() => {
        this.#running.delete(timer);
        context.signal.removeEventListener('abort', onAbort);
        stats.succeeded += 1;
        resolve({ succeeded: true, reason: null, exitCode: 0, error: '' });
      }, ms);
      const onAbort = (): void => {
        // A crash is not a stop: the worker's shutdown aborts every attempt, but a dead node says nothing more.
        if (this.#crashed) return;
        timer.cancel();
        this.#running.delete(timer);
        stats.stopped += 1;
        // The runner turns an aborted attempt into TIMEOUT / CANCELLED from the signal's reason.
        resolve({ succeeded: false, reason: null, exitCode: null, error: '' });
      };
      this.#running.add(timer);
      context.signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** The node died: running tasks end without a word (their promises are dropped with the node). */
  crash(): void {
    this.#crashed = true;
    this.#options.stats.lostInCrash += this.#running.size;
    for (const timer of this.#running) timer.cancel();
    this.#running.clear();
  }
}
