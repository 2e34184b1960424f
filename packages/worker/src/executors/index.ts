import { CommandExecutor } from './command.js';
import type { Executor } from './executor.js';
import { HttpExecutor } from './http.js';
import type { HttpTargetPolicy } from './http-targets.js';

export type { ExecutionContext, ExecutionOutcome, Executor, ExecutorStart } from './executor.js';

/** The executors a worker offers unless told otherwise. */
export function defaultExecutors(httpTargets?: HttpTargetPolicy): Executor[] {
  return [new CommandExecutor(), new HttpExecutor(httpTargets ? { targets: httpTargets } : {})];
}
