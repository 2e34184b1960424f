import {
  BUILTIN_TASK_TYPE_NAMES,
  CommandPolicy,
  MAX_RATE_COUNT,
  type RateLimit,
  DEFAULT_BACKOFF_BASE_MS,
  DEFAULT_BACKOFF_CAP_MS,
  DEFAULT_MAX_TIMEOUT_MS,
  InvalidArgumentError,
  MIN_HEARTBEAT_INTERVAL_MS,
} from '@dist-exec/core';
import { join } from 'node:path';
import type { TlsFiles } from '@dist-exec/runtime';
import { POLICY_NAMES } from './placement/index.js';
import { DEFAULT_MIN_FREE_SPACE_BYTES } from './store/data-dir.js';
import { databaseUrlProblem } from './store/postgres-errors.js';
import { DEFAULT_LEASE_RENEW_MS, DEFAULT_LEASE_TTL_MS } from './store/postgres-lease.js';

export const DEFAULT_MASTER_PORT = 50051;
export const DEFAULT_HTTP_PORT = 8080;
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 5000;
/** A node is UNHEALTHY after this many missed heartbeats. */
export const DEFAULT_MISSED_HEARTBEATS = 3;
export const DEFAULT_NODE_LOST_TIMEOUT_MS = 60_000;
export const DEFAULT_MAX_QUEUE = 1_000_000;
export const DEFAULT_DISPATCH_TIMEOUT_MS = 10_000;
export const DEFAULT_CALL_TIMEOUT_MS = 5000;
export const DEFAULT_OUTPUT_LIMIT_BYTES = 1024 * 1024;
export const DEFAULT_KILL_GRACE_MS = 5000;
export const DEFAULT_SHUTDOWN_GRACE_MS = 5000;
/** A LOST node is forgotten (it leaves `nodes`) this long after it was declared lost; not a flag. */
export const DEFAULT_FORGET_LOST_AFTER_MS = 3_600_000;
export const DEFAULT_DISPATCH_FAILURE_THRESHOLD = 3;
export const DEFAULT_SKIP_NODE_MS = 30_000;
/** How often the master logs a cluster snapshot; 0 = never. */
export const DEFAULT_SNAPSHOT_INTERVAL_MS = 30_000;
export const STORE_KINDS = ['sqlite', 'memory', 'postgres'] as const;
export const DEFAULT_DATA_DIR = './.dist-exec';
export const DEFAULT_HISTORY_RETENTION_MS = 7 * 24 * 3_600_000;
/**
 * History GC runs often, in small passes: SQLite's deletes share the master's
 * event loop, and a pass of a minute's worth of jobs at once showed as a
 * latency spike each minute in the soak (docs/performance.md). River's
 * cleaner and Oban's pruner run every 30 s.
 */
export const DEFAULT_HISTORY_GC_INTERVAL_MS = 10_000;
export { DEFAULT_MIN_FREE_SPACE_BYTES };
/** Loopback: other machines reach the master only when it is told to listen for them (--host 0.0.0.0). */
export const DEFAULT_HOST = '127.0.0.1';
/** `tokens`: every call needs a token (the default). `none`: nobody is checked, for a trusted lab and benchmarks only. */
export const AUTH_MODES = ['tokens', 'none'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];
export const ADMIN_TOKEN_FILE = 'admin.token';
/**
 * Calls each submit or read token may make unless its own --rate-limit says
 * otherwise: far above what a person or a CI job sends, low enough that one
 * runaway script cannot starve the master. Worker and admin tokens are held
 * only to a rate of their own.
 */
export const DEFAULT_RATE_LIMIT: RateLimit = Object.freeze({ count: 1000, periodMs: 1000, burst: 2000 });

export interface MasterOptions {
  /** Interface to listen on (gRPC and HTTP). @default '127.0.0.1' */
  host?: string;
  /** gRPC port; 0 picks a free one. @default 50051 */
  port?: number;
  /** HTTP port for metrics, health, REST and the dashboard; 0 picks a free one. @default 8080 */
  httpPort?: number;
  /** Durable on disk (`sqlite`), on a PostgreSQL server (`postgres`), or gone at exit (`memory`). @default 'sqlite' */
  store?: (typeof STORE_KINDS)[number];
  /** Directory of the sqlite store's files; created when missing. @default './.dist-exec' */
  dataDir?: string;
  /** The sqlite store refuses to start with less than this free on the data dir's file system, in bytes. @default 268435456 (256 MiB) */
  minFreeSpaceBytes?: number;
  /** The postgres store's database, `postgres://user:password@host:5432/database`; only with `store: 'postgres'`. @default '' */
  databaseUrl?: string;
  /** Finished jobs (and their output) are deleted this long after they end, in ms; 0 = kept forever. @default 604800000 (7 days) */
  historyRetentionMs?: number;
  /** At most this many finished jobs are kept (those that finished first go first); 0 = no limit. @default 0 */
  historyMaxJobs?: number;
  /** How often history GC runs, in ms. @default 10000 */
  historyGcIntervalMs?: number;
  /** Log a cluster snapshot (jobs, queue, nodes, use) this often, in ms; 0 = never. @default 30000 */
  snapshotIntervalMs?: number;
  /** Placement policy name. @default 'round-robin' */
  policy?: string;
  /** Interval workers are told to heartbeat at, in ms. @default 5000 */
  heartbeatIntervalMs?: number;
  /** Silence after which a node is UNHEALTHY, in ms. @default 3 × heartbeatIntervalMs */
  heartbeatTimeoutMs?: number;
  /** Silence after which a node is LOST, in ms. @default 60000 */
  nodeLostTimeoutMs?: number;
  /** Requeue a node's attempts when it turns UNHEALTHY, or wait until LOST. @default 'unhealthy' */
  rescheduleOn?: 'unhealthy' | 'lost';
  /** Most PENDING jobs. @default 1000000 */
  maxQueue?: number;
  /** A worker must answer Execute within this long, in ms. @default 10000 */
  dispatchTimeoutMs?: number;
  /** Deadline of other calls to workers (Cancel), in ms; an option, not a flag. @default 5000 */
  callTimeoutMs?: number;
  /** Output kept per stream per attempt, in bytes. @default 1048576 */
  outputLimitBytes?: number;
  /** SIGTERM → SIGKILL grace on timeout and cancel, in ms. @default 5000 */
  killGraceMs?: number;
  /** Timeout for jobs that give none, in ms; 0 = none. @default 0 */
  defaultTimeoutMs?: number;
  /** Largest timeout a job may ask for, in ms. @default 604800000 (7 days) */
  maxTimeoutMs?: number;
  /** Task types accepted besides those registered workers offer. @default BUILTIN_TASK_TYPE_NAMES (command, http) */
  taskTypes?: string[];
  /** First retry delay scale, in ms. @default 1000 */
  retryBackoffBaseMs?: number;
  /** Largest retry delay, in ms. @default 60000 */
  retryBackoffCapMs?: number;
  /** Time given to in-flight calls on shutdown before they are cut, in ms. @default 5000 */
  shutdownGraceMs?: number;
  /** Failed dispatches in a row after which a node is skipped for a while (circuit breaker). @default 3 */
  dispatchFailureThreshold?: number;
  /** How long such a node is skipped before a trial dispatch, in ms; doubles while trials fail (up to 5 min). @default 30000 */
  skipNodeMs?: number;
  /** `tokens`: every call needs a token; `none`: no check at all (a trusted lab, benchmarks). @default 'tokens' */
  auth?: AuthMode;
  /** File of the bootstrap admin token: made (mode 0600) when missing, kept otherwise. @default '<dataDir>/admin.token' */
  adminTokenFile?: string;
  /** File of a bootstrap worker token (named `workers`), made like the admin one; '' = none. @default '' */
  workerTokenFile?: string;
  /** Serve /metrics without a token. @default false */
  publicMetrics?: boolean;
  /** Host names the HTTP port answers besides addresses, localhost and the machine's name; `.example.com` for a domain, `*` for any. @default [] */
  httpAllowedHosts?: string[];
  /** Regular expressions: a command job must match one of them whole (--allow-command); [] = any command. @default [] */
  allowCommands?: string[];
  /** Regular expressions: a command job that matches one anywhere is refused (--deny-command). @default [] */
  denyCommands?: string[];
  /** Calls of each submit or read token, unless the token has its own rate; count 0 = no limit. @default 1000/s, burst 2000 */
  rateLimit?: RateLimit;
  /**
   * TLS files (paths): `cert` + `key` serve gRPC and HTTPS (and are this
   * master's client certificate to workers); `clientCa` requires gRPC clients
   * (workers, the CLI) to present a certificate it signed; `ca` verifies
   * workers' certificates. With `cert` or `ca`, workers are dialled over TLS. @default {} (plaintext)
   */
  tls?: TlsFiles;
  /** Several masters on PostgreSQL: the leader's lease lasts this long unrenewed, in ms (the leader's value is in the lease row). @default 10000 */
  leaseTtlMs?: number;
  /** How often the leader renews its lease, in ms; under half the TTL. @default 2000 */
  leaseRenewMs?: number;
  /** This master's gRPC address as clients and workers reach it (followers hand it out); '' = host:port. @default '' */
  advertiseAddress?: string;
}

export type CompiledMasterOptions = Required<MasterOptions>;

function check(condition: boolean, field: string, message: string): void {
  if (!condition) throw new InvalidArgumentError(`${field}: ${message}`, { field });
}

function checkPort(port: number, field: string): void {
  check(
    Number.isInteger(port) && port >= 0 && port <= 65535,
    field,
    `${port} is not a port; use 0-65535 (0 picks a free one)`,
  );
}

function checkPositive(value: number, field: string): void {
  check(Number.isFinite(value) && value > 0, field, `${value} must be greater than 0`);
}

/** Fills defaults and validates; throws an error naming the flag that is wrong. */
export function compileMasterOptions(options: MasterOptions): CompiledMasterOptions {
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
  const dataDir = options.dataDir ?? DEFAULT_DATA_DIR;
  const compiled: CompiledMasterOptions = {
    host: options.host ?? DEFAULT_HOST,
    port: options.port ?? DEFAULT_MASTER_PORT,
    httpPort: options.httpPort ?? DEFAULT_HTTP_PORT,
    store: options.store ?? 'sqlite',
    dataDir,
    minFreeSpaceBytes: options.minFreeSpaceBytes ?? DEFAULT_MIN_FREE_SPACE_BYTES,
    databaseUrl: options.databaseUrl ?? '',
    historyRetentionMs: options.historyRetentionMs ?? DEFAULT_HISTORY_RETENTION_MS,
    historyMaxJobs: options.historyMaxJobs ?? 0,
    historyGcIntervalMs: options.historyGcIntervalMs ?? DEFAULT_HISTORY_GC_INTERVAL_MS,
    snapshotIntervalMs: options.snapshotIntervalMs ?? DEFAULT_SNAPSHOT_INTERVAL_MS,
    policy: options.policy ?? 'round-robin',
    heartbeatIntervalMs,
    heartbeatTimeoutMs: options.heartbeatTimeoutMs ?? heartbeatIntervalMs * DEFAULT_MISSED_HEARTBEATS,
    nodeLostTimeoutMs:
      options.nodeLostTimeoutMs ?? Math.max(DEFAULT_NODE_LOST_TIMEOUT_MS, (options.heartbeatTimeoutMs ?? 0) * 2),
    rescheduleOn: options.rescheduleOn ?? 'unhealthy',
    maxQueue: options.maxQueue ?? DEFAULT_MAX_QUEUE,
    dispatchTimeoutMs: options.dispatchTimeoutMs ?? DEFAULT_DISPATCH_TIMEOUT_MS,
    callTimeoutMs: options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS,
    outputLimitBytes: options.outputLimitBytes ?? DEFAULT_OUTPUT_LIMIT_BYTES,
    killGraceMs: options.killGraceMs ?? DEFAULT_KILL_GRACE_MS,
    defaultTimeoutMs: options.defaultTimeoutMs ?? 0,
    maxTimeoutMs: options.maxTimeoutMs ?? DEFAULT_MAX_TIMEOUT_MS,
    taskTypes: options.taskTypes ?? [...BUILTIN_TASK_TYPE_NAMES],
    retryBackoffBaseMs: options.retryBackoffBaseMs ?? DEFAULT_BACKOFF_BASE_MS,
    retryBackoffCapMs: options.retryBackoffCapMs ?? DEFAULT_BACKOFF_CAP_MS,
    shutdownGraceMs: options.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS,
    dispatchFailureThreshold: options.dispatchFailureThreshold ?? DEFAULT_DISPATCH_FAILURE_THRESHOLD,
    skipNodeMs: options.skipNodeMs ?? DEFAULT_SKIP_NODE_MS,
    auth: options.auth ?? 'tokens',
    adminTokenFile: options.adminTokenFile || join(dataDir, ADMIN_TOKEN_FILE),
    workerTokenFile: options.workerTokenFile ?? '',
    publicMetrics: options.publicMetrics ?? false,
    httpAllowedHosts: options.httpAllowedHosts ?? [],
    allowCommands: options.allowCommands ?? [],
    denyCommands: options.denyCommands ?? [],
    rateLimit: options.rateLimit ?? DEFAULT_RATE_LIMIT,
    tls: { ...options.tls },
    leaseTtlMs: options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS,
    leaseRenewMs: options.leaseRenewMs ?? DEFAULT_LEASE_RENEW_MS,
    advertiseAddress: options.advertiseAddress ?? '',
  };
  checkPort(compiled.port, '--port');
  checkPort(compiled.httpPort, '--http-port');
  check(
    (STORE_KINDS as readonly string[]).includes(compiled.store),
    '--store',
    `"${compiled.store}" is not a store; use ${STORE_KINDS.join(' or ')}`,
  );
  check(
    POLICY_NAMES.includes(compiled.policy),
    '--policy',
    `unknown placement policy "${compiled.policy}"; choose one of ${POLICY_NAMES.join(', ')}`,
  );
  check(compiled.dataDir.length > 0, '--data-dir', 'must not be empty');
  check(
    Number.isSafeInteger(compiled.minFreeSpaceBytes) && compiled.minFreeSpaceBytes >= 0,
    '--min-free-space',
    `${compiled.minFreeSpaceBytes} must be a size of 0 bytes or more`,
  );
  if (compiled.store === 'postgres') {
    const problem = databaseUrlProblem(compiled.databaseUrl);
    check(problem === null, '--database-url', problem ?? '');
  } else {
    check(
      compiled.databaseUrl === '',
      '--database-url',
      `is only for --store postgres (the store is ${compiled.store})`,
    );
  }
  check(
    compiled.heartbeatIntervalMs >= MIN_HEARTBEAT_INTERVAL_MS,
    '--heartbeat-interval',
    `${compiled.heartbeatIntervalMs}ms is too short; use ${MIN_HEARTBEAT_INTERVAL_MS}ms or more`,
  );
  check(
    compiled.heartbeatTimeoutMs > compiled.heartbeatIntervalMs,
    '--heartbeat-timeout',
    `${compiled.heartbeatTimeoutMs}ms must be longer than the heartbeat interval (${compiled.heartbeatIntervalMs}ms)`,
  );
  check(
    compiled.nodeLostTimeoutMs >= compiled.heartbeatTimeoutMs,
    '--node-lost-timeout',
    `${compiled.nodeLostTimeoutMs}ms must not be shorter than the heartbeat timeout (${compiled.heartbeatTimeoutMs}ms)`,
  );
  check(
    compiled.rescheduleOn === 'unhealthy' || compiled.rescheduleOn === 'lost',
    '--reschedule-on',
    'use unhealthy or lost',
  );
  check(
    Number.isInteger(compiled.maxQueue) && compiled.maxQueue > 0,
    '--max-queue',
    `${compiled.maxQueue} must be a whole number above 0`,
  );
  checkPositive(compiled.dispatchTimeoutMs, '--dispatch-timeout');
  checkPositive(compiled.callTimeoutMs, 'callTimeoutMs');
  checkPositive(compiled.outputLimitBytes, '--output-limit');
  check(compiled.killGraceMs >= 0, '--kill-grace', 'must not be negative');
  check(
    compiled.defaultTimeoutMs >= 0 && compiled.defaultTimeoutMs <= compiled.maxTimeoutMs,
    '--default-timeout',
    `must be between 0 and ${compiled.maxTimeoutMs}ms`,
  );
  check(
    Number.isFinite(compiled.historyRetentionMs) && compiled.historyRetentionMs >= 0,
    '--history-retention',
    'must not be negative (0 keeps history forever)',
  );
  check(
    Number.isInteger(compiled.historyMaxJobs) && compiled.historyMaxJobs >= 0,
    '--history-max-jobs',
    `${compiled.historyMaxJobs} must be a whole number (0 = no limit)`,
  );
  checkPositive(compiled.historyGcIntervalMs, 'historyGcIntervalMs');
  check(
    Number.isFinite(compiled.snapshotIntervalMs) && compiled.snapshotIntervalMs >= 0,
    '--snapshot-interval',
    'must not be negative (0 = off)',
  );
  checkPositive(compiled.retryBackoffBaseMs, '--retry-backoff-base');
  check(
    compiled.retryBackoffCapMs >= compiled.retryBackoffBaseMs,
    '--retry-backoff-cap',
    'must not be below the backoff base',
  );
  check(
    Number.isInteger(compiled.dispatchFailureThreshold) && compiled.dispatchFailureThreshold >= 1,
    'dispatchFailureThreshold',
    `${compiled.dispatchFailureThreshold} must be a whole number of at least 1`,
  );
  checkPositive(compiled.skipNodeMs, 'skipNodeMs');
  check(
    (AUTH_MODES as readonly string[]).includes(compiled.auth),
    '--auth',
    `"${compiled.auth}" is not an auth mode; use ${AUTH_MODES.join(' or ')}`,
  );
  check(
    compiled.workerTokenFile !== compiled.adminTokenFile,
    '--worker-token-file',
    'must not be the admin token file',
  );
  // Compiled here once so that a rule that is not a regular expression stops the start, naming its flag.
  new CommandPolicy({ allow: compiled.allowCommands, deny: compiled.denyCommands }, "the master's");
  const rate = compiled.rateLimit;
  check(
    Number.isInteger(rate.count) &&
      rate.count >= 0 &&
      rate.count <= MAX_RATE_COUNT &&
      Number.isInteger(rate.burst) &&
      rate.burst >= 0 &&
      rate.burst <= MAX_RATE_COUNT &&
      rate.periodMs > 0,
    '--rate-limit',
    `${rate.count} calls per ${rate.periodMs}ms (burst ${rate.burst}) is not a rate`,
  );
  check(
    Number.isFinite(compiled.leaseTtlMs) && compiled.leaseTtlMs >= 500,
    '--lease-ttl',
    `${compiled.leaseTtlMs}ms is too short; give at least 500ms (10s by default)`,
  );
  check(
    compiled.leaseRenewMs > 0 && compiled.leaseRenewMs * 2 <= compiled.leaseTtlMs,
    '--lease-renew',
    `${compiled.leaseRenewMs}ms must be above 0 and at most half the lease TTL (${compiled.leaseTtlMs}ms)`,
  );
  check(
    compiled.advertiseAddress === '' ||
      /^[^\s:,]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(compiled.advertiseAddress),
    '--advertise-address',
    `"${compiled.advertiseAddress}" is not host:port`,
  );
  for (const host of compiled.httpAllowedHosts) {
    check(/^(\*|\.?[A-Za-z0-9.-]+)$/.test(host), '--http-allowed-hosts', `"${host}" is not a host name, .domain or *`);
  }
  return compiled;
}
