import { CommandExecutor } from './command.js';
import type { Executor } from './executor.js';
import { HttpExecutor } from './http.js';

export type { ExecutionContext, ExecutionOutcome, Executor, ExecutorStart } from './executor.js';

/** The executors a worker offers unless told otherwise. */
export function defaultExecutors(): Executor[] {
  return [new CommandExecutor(), new HttpExecutor()];
}
