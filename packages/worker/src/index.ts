export { Worker, WORKER_VERSION, type WorkerAddress, type WorkerDeps } from './worker.js';
export * from './config.js';
export { TaskRunner, type AttemptSink, type ExecuteRequest } from './runner.js';
export {
  configOf,
  type ExecutionContext,
  type ExecutionOutcome,
  type Executor,
  type ExecutorStart,
} from './executors/index.js';
export { CommandExecutor, type CommandExecutorOptions, type SpawnMode } from './executors/command.js';
export { SPAWNER_BINARY, type HelperKind } from './executors/spawner.js';
export { HeartbeatLink } from './heartbeat-link.js';
export { HttpExecutor, type HttpExecutorOptions } from './executors/http.js';
export { HttpTargetPolicy, HttpTargetRefusedError, type HttpTargetRules } from './executors/http-targets.js';
export { defaultExecutors } from './executors/index.js';
export { Fence, type FenceOptions } from './fence.js';
export { WorkerMetrics, type WorkerGaugeSource } from './metrics.js';
export type { RunnerObserver } from './runner.js';
export { EventReader, EVENT, type EventSink } from './executors/spawner-protocol.js';
export { OutputCap } from './output-cap.js';
export {
  cgroupLayout,
  DEFAULT_CGROUP_PARENT,
  DEFAULT_MAX_JOB_PIDS,
  ISOLATION_MODES,
  JobIsolation,
  type CgroupLayout,
  type IsolationMode,
  type IsolationOptions,
  workerCgroupName,
} from './isolation/index.js';
export { CLEAN_ENV_KEEPS, jobBaseEnvironment } from './job-environment.js';
export { CgroupJobs } from './isolation/cgroup-jobs.js';
export { Leftovers } from './isolation/leftovers.js';
export { NodeSecretFile, MemoryNodeSecret, NODE_SECRET_FILE, type NodeSecretStore } from './node-secret-file.js';
