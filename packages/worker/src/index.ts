export { Worker, WORKER_VERSION, type WorkerAddress, type WorkerDeps } from './worker.js';
export * from './config.js';
export { TaskRunner, type AttemptSink, type ExecuteRequest } from './runner.js';
export type { ExecutionContext, ExecutionOutcome, Executor } from './executors/index.js';
export { CommandExecutor } from './executors/command.js';
export { HttpExecutor } from './executors/http.js';
export { defaultExecutors } from './executors/index.js';
export { Fence, type FenceOptions } from './fence.js';
