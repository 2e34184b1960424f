export {
  DEFAULT_CGROUP_PARENT,
  DEFAULT_MAX_JOB_PIDS,
  ISOLATION_MODES,
  JobIsolation,
  type AttemptIsolation,
  type AttemptUsage,
  type IsolationMode,
  type IsolationOptions,
  type IsolationStart,
  type SpawnPath,
  workerCgroupName,
} from './job-isolation.js';
export { cgroupLayout, type CgroupLayout } from './cgroup-layout.js';
