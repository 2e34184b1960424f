import { InvalidArgumentError } from '@dist-exec/core';

export const DEFAULT_NODES = 100;
export const DEFAULT_JOBS = 10_000;
export const DEFAULT_JOB_DURATION_MS = 50;
export const DEFAULT_DOWN_TIME_MS = 5000;
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 5000;
export const DEFAULT_MAX_TASKS = 4;
export const DEFAULT_RETRIES = 3;
export const DEFAULT_SNAPSHOT_INTERVAL_MS = 1000;
export const DEFAULT_SUBMIT_BATCH = 5000;
/**
 * Each node costs about five file descriptors in one process (its server, the
 * connections both ways, and the master's side of them when it runs in-process).
 */
export const MAX_NODES = 5000;
export const MAX_JOBS = 10_000_000;

export interface SimulationOptions {
  /** Simulated nodes. @default 100 */
  nodes?: number;
  /** Jobs to run; 0 = only run the nodes (until stopped, or for `durationMs`). @default 10000 */
  jobs?: number;
  /** Mean simulated job run time, in ms; each job takes between half and 1.5 times it. @default 50 */
  jobDurationMs?: number;
  /** Chance that a live node crashes within any one second (0 to 1). @default 0 */
  failRate?: number;
  /** Mean time a crashed node stays down before it restarts and registers again, in ms (±50%). @default 5000 */
  downTimeMs?: number;
  /** Interval nodes heartbeat at, in ms (the in-process master asks for it too). @default 5000 */
  heartbeatIntervalMs?: number;
  /** Tasks each node runs at once. @default 4 */
  maxTasks?: number;
  /** Retries per job (WORKER_LOST is always retryable). @default 3 */
  retries?: number;
  /** How often a snapshot line is printed, in ms; 0 = never. @default 1000 */
  snapshotIntervalMs?: number;
  /** A running master to attach the nodes to, host:port; '' = start one in this process. @default '' */
  masterAddress?: string;
  /** With `masterAddress`: a token that may submit, read and register nodes (an admin token). */
  token?: string;
  /** Stop after this long, in ms, converged or not; 0 = when every job is terminal (or on a signal, without jobs). @default 0 */
  durationMs?: number;
  /** Jobs per SubmitJobs call. @default 5000 */
  submitBatch?: number;
}

export type CompiledSimulationOptions = Required<SimulationOptions>;

function check(condition: boolean, field: string, message: string): void {
  if (!condition) throw new InvalidArgumentError(`${field}: ${message}`, { field });
}

function checkWhole(value: number, field: string, min: number, max: number): void {
  check(
    Number.isInteger(value) && value >= min && value <= max,
    field,
    `${value} is out of range; use a whole number from ${min} to ${max}`,
  );
}

/** Fills defaults and validates; errors name the flag and say what to use instead. */
export function compileSimulationOptions(options: SimulationOptions = {}): CompiledSimulationOptions {
  const compiled: CompiledSimulationOptions = {
    nodes: options.nodes ?? DEFAULT_NODES,
    jobs: options.jobs ?? DEFAULT_JOBS,
    jobDurationMs: options.jobDurationMs ?? DEFAULT_JOB_DURATION_MS,
    failRate: options.failRate ?? 0,
    downTimeMs: options.downTimeMs ?? DEFAULT_DOWN_TIME_MS,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS,
    maxTasks: options.maxTasks ?? DEFAULT_MAX_TASKS,
    retries: options.retries ?? DEFAULT_RETRIES,
    snapshotIntervalMs: options.snapshotIntervalMs ?? DEFAULT_SNAPSHOT_INTERVAL_MS,
    masterAddress: options.masterAddress ?? '',
    token: options.token ?? '',
    durationMs: options.durationMs ?? 0,
    submitBatch: options.submitBatch ?? DEFAULT_SUBMIT_BATCH,
  };
  checkWhole(compiled.nodes, '--nodes', 1, MAX_NODES);
  checkWhole(compiled.jobs, '--jobs', 0, MAX_JOBS);
  check(
    Number.isFinite(compiled.jobDurationMs) && compiled.jobDurationMs >= 0,
    '--job-duration',
    'must not be negative',
  );
  check(
    Number.isFinite(compiled.failRate) && compiled.failRate >= 0 && compiled.failRate <= 1,
    '--fail-rate',
    `${compiled.failRate} is not a probability; use 0 to 1 (the chance that a node crashes within a second, e.g. 0.01)`,
  );
  check(Number.isFinite(compiled.downTimeMs) && compiled.downTimeMs >= 0, '--down-time', 'must not be negative');
  check(
    compiled.heartbeatIntervalMs >= 10,
    '--heartbeat-interval',
    `${compiled.heartbeatIntervalMs}ms is too short; use 10ms or more`,
  );
  checkWhole(compiled.maxTasks, '--max-tasks', 1, 10_000);
  checkWhole(compiled.retries, '--retries', 0, 100);
  check(
    Number.isFinite(compiled.snapshotIntervalMs) && compiled.snapshotIntervalMs >= 0,
    '--snapshot-interval',
    'must not be negative (0 = no snapshots)',
  );
  check(
    compiled.masterAddress === '' || /^[^\s/]+:\d{1,5}$/.test(compiled.masterAddress),
    '--master',
    `"${compiled.masterAddress}" is not host:port`,
  );
  check(
    Number.isFinite(compiled.durationMs) && compiled.durationMs >= 0,
    '--duration',
    'must not be negative (0 = until every job is terminal)',
  );
  checkWhole(compiled.submitBatch, '--submit-batch', 1, 100_000);
  return compiled;
}
