export { Master, type MasterAddress, type MasterDeps } from './master.js';
export * from './config.js';
export { ClusterState, attemptKey, currentAttempt } from './cluster-state.js';
export { JobQueue, runsBefore } from './jobs/job-queue.js';
export {
  NodeRegistry,
  NodeRecord,
  healthAt,
  healthAfter,
  toMilliCpus,
  type NodeRegistration,
  type HealthTimeouts,
  type NodeListener,
} from './nodes/registry.js';
export { NodeManager } from './nodes/node-manager.js';
export { Dispatcher, type DispatcherOptions } from './dispatch/dispatcher.js';
export { AnswerDeadlines, type AwaitingAnswer } from './dispatch/answer-deadlines.js';
export {
  CircuitBreaker,
  DispatchBreakers,
  DEFAULT_BREAKER_OPTIONS,
  type BreakerOptions,
  type BreakerState,
} from './dispatch/dispatch-breaker.js';
export {
  FailureDetector,
  probeVerdict,
  type FailureDetectorOptions,
  type ProbeVerdict,
} from './nodes/failure-detector.js';
export { PauseLedger } from './nodes/pause-ledger.js';
export { HealthController } from './controllers/health.js';
export { Scheduler } from './scheduler.js';
export { MasterEvents, type MasterObserver } from './events.js';
export { MasterMetrics, pendingByPriority } from './metrics.js';
export * from './placement/index.js';
export { PlacementIndex } from './placement/placement-index.js';
export { CapacityTree } from './placement/capacity-tree.js';
export { roundUp32 } from './placement/float32-bounds.js';
export { MemoryStore } from './store/memory-store.js';
export { SqliteStore, type SqliteStoreOptions } from './store/sqlite-store.js';
export { StoreUnusableError, openDatabase, DATABASE_FILE, LOCK_FILE } from './store/database-file.js';
export {
  MIGRATIONS,
  APPLICATION_ID,
  latestVersion,
  migrate,
  schemaVersion,
  type Migration,
} from './store/migrations.js';
export { HistoryGc, type HistoryGcOptions } from './controllers/history-gc.js';
export type {
  Store,
  JobPage,
  JobPageQuery,
  RecoveredState,
  HistoryPrune,
  StoredAuth,
  StoredNodeClaim,
  StoredToken,
} from './store/store.js';
export * from './auth/index.js';
export { HttpGuard } from './http/guard.js';
export { AllowedHosts } from './http/allowed-hosts.js';
export { HTTP_ACCESS } from './http/access.js';
export { SnapshotLog, compactSnapshot, MAX_LOGGED_NODES, type SnapshotLogOptions } from './controllers/snapshot-log.js';
export { takeSnapshot, type SnapshotSources } from './cluster-snapshot.js';
export { NestingScanner, MAX_JSON_DEPTH } from './http/json-depth.js';
