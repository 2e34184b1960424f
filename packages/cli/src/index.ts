export { exitStatusFor } from './commands/run.js';
export { formatLogLine } from './commands/up.js';
export { jobSpecFromFlags } from './commands/job-spec-flags.js';
