// The jobs box: taking jobs in (validation, idempotency keys), the queue and the requirement classes
// it cannot place for now, the commands both API doors run (job-commands.ts), and watching jobs (one, or many at once) and logging their ends.
export { JobIntake, type JobIntakeOptions, type SubmitResult } from './job-intake.js';
export { JobQueue, classInterner, runsBefore, type ClassFilter } from './job-queue.js';
export { BlockedClasses } from './blocked-classes.js';
export { JobWatchers, type JobListener } from './job-watchers.js';
export { watchJob, type WatchRequest, type WatchSink } from './watch.js';
export { watchJobs, MAX_WATCHED_JOBS, type WatchManyRequest, type WatchManySink } from './watch-many.js';
export { subscribeJobLog } from './job-log.js';
export {
  JobCommands,
  parsePaging,
  DEFAULT_PAGE_SIZE,
  MAX_PAGE_SIZE,
  MAX_BULK_SUBMIT,
  type JobCommandsOptions,
  type CommandCaller,
  type ListQuery,
  type GetOptions,
} from './job-commands.js';
