// The controllers box (DESIGN.md, "Controllers"): loops driven by timers and events that keep the
// cluster converging: node health, rescheduling a failed node's attempts, retries with backoff,
// history GC and the periodic snapshot log.
export { HealthController } from './health.js';
export { Rescheduler, type AttemptStopper, type ReschedulerOptions } from './rescheduler.js';
export { RetryController, type RetryControllerOptions, type RetryVerdict } from './retry.js';
export { HistoryGc, DEFAULT_GC_BATCH, type HistoryGcOptions } from './history-gc.js';
export { SnapshotLog, compactSnapshot, MAX_LOGGED_NODES, type SnapshotLogOptions } from './snapshot-log.js';
