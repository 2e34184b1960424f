// The master package: the Master (its composition root) and, for tests, benchmarks and the
// simulator, the parts it is built from, box by box.
export { Master, type MasterAddress, type MasterDeps } from './master.js';
export * from './config.js';
export { ClusterState, type ClusterListener, type ClusterStateOptions, type AttemptOutput } from './cluster-state.js';
export { Scheduler, type SchedulerOptions } from './scheduler.js';
export { MasterEvents, type MasterObserver } from './events.js';
export { MasterMetrics, pendingByPriority } from './metrics.js';
export { takeSnapshot, type SnapshotSources } from './cluster-snapshot.js';
export * from './nodes/index.js';
export * from './jobs/index.js';
export * from './dispatch/index.js';
export * from './controllers/index.js';
export * from './placement/index.js';
export { MemoryStore } from './store/memory-store.js';
export { searchJobs, jobMatches, SCAN_CHUNK, type JobSearch, type JobSearchPage } from './store/job-search.js';
export { ActivitySeries, type ActivitySample, type ActivityJson } from './activity-series.js';
export { SqliteStore, type SqliteStoreOptions } from './store/sqlite-store.js';
export { PostgresStore, type PostgresStoreOptions } from './store/postgres-store.js';
export {
  POSTGRES_MIGRATIONS,
  PG_SCHEMA,
  migratePostgres,
  pgSchemaVersion,
  type PostgresMigration,
} from './store/postgres-schema.js';
export { maskDatabaseUrl, databaseUrlProblem } from './store/postgres-errors.js';
export { StoreUnusableError, openDatabase, DATABASE_FILE, LOCK_FILE } from './store/database-file.js';
export {
  MIGRATIONS,
  APPLICATION_ID,
  latestVersion,
  migrate,
  schemaVersion,
  type Migration,
} from './store/migrations.js';
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
export { NestingScanner, MAX_JSON_DEPTH } from './http/json-depth.js';
export { ClusteredMaster } from './ha/clustered-master.js';
export { Standby } from './ha/standby.js';
export {
  PostgresLease,
  leaseHeld,
  stepDownMarginMs,
  DEFAULT_LEASE_RENEW_MS,
  DEFAULT_LEASE_TTL_MS,
  type LeaderLease,
  type LeaseView,
  type PostgresLeaseOptions,
} from './store/postgres-lease.js';
