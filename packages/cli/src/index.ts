export { exitStatusFor, exitStatusForMany } from './commands/exit-status.js';
export { formatLogLine, workerShare } from './commands/up.js';
export { jobSpecFromFlags } from './commands/job-spec-flags.js';
export { parseArrayRange, MAX_ARRAY_JOBS } from './array-range.js';
export { arraySpecs, ARRAY_ID_ENV, ARRAY_INDEX_ENV } from './commands/array.js';
export { ProgressBar, progressNote, renderProgress } from './progress.js';
