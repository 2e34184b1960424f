import { CommandExecutor } from './command.js';
import type { Executor } from './executor.js';
import { HttpExecutor } from './http.js';
import type { HttpTargetPolicy } from './http-targets.js';

export {
  configOf,
  type ExecutionContext,
  type ExecutionOutcome,
  type Executor,
  type ExecutorStart,
} from './executor.js';

/** The executors a worker offers unless told otherwise: the worker's registry of task types (one line each). */
export function defaultExecutors(httpTargets?: HttpTargetPolicy): Executor[] {
  return [new CommandExecutor(), new HttpExecutor(httpTargets ? { targets: httpTargets } : {})];
}
