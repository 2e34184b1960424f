import type { ExecutionContext, ExecutionOutcome, Executor } from '@dist-exec/worker';

/** Task type of the benchmark's no-op executor; only workers started by the benchmark offer it. */
export const NOOP_TASK_TYPE = 'bench-noop';

/**
 * Finishes every task at once without starting a process, so a benchmark
 * measures what the master and the Execute stream cost per job and nothing
 * of process creation. Never offered by a default worker.
 */
export class NoopExecutor implements Executor {
  readonly type = NOOP_TASK_TYPE;

  async run(context: ExecutionContext): Promise<ExecutionOutcome> {
    context.onStarted(0);
    return { succeeded: true, reason: null, exitCode: 0, error: '' };
  }
}
