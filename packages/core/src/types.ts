import type { TaskConfig } from './task-config.js';
/** Domain types: what the master, worker and client speak inside, away from the wire. */

export const JOB_STATES = ['PENDING', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED'] as const;
export type JobState = (typeof JOB_STATES)[number];

export const FAILURE_REASONS = [
  'EXIT_CODE',
  'TIMEOUT',
  'WORKER_LOST',
  'CANCELLED',
  'EXECUTOR_ERROR',
  'OUT_OF_MEMORY',
] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

export const NODE_STATES = ['HEALTHY', 'UNHEALTHY', 'DRAINING', 'LOST'] as const;
export type NodeState = (typeof NODE_STATES)[number];

export type OutputStreamName = 'stdout' | 'stderr';

export interface HttpRequestSpec {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: Uint8Array;
  /** Success statuses; any 2xx when empty. */
  expectedStatus: number[];
}

/** A validated job specification (see `compileJobSpec`). */
export interface JobSpec {
  type: string;
  command: string;
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  stdin: Uint8Array;
  priority: number;
  /** 0 = no limit. */
  timeoutMs: number;
  labels: Record<string, string>;
  constraints: Record<string, string>;
  cpu: number;
  memoryBytes: number;
  maxRetries: number;
  retryOnFailure: boolean;
  idempotencyKey: string;
  http: HttpRequestSpec | null;
  /** Hard memory limit above the request; 0 = `memoryBytes` is the limit. */
  memoryLimitBytes: number;
  /** User to run as (one the worker allows); '' = the worker's --run-as user, or its own. */
  user: string;
  /** The payload of a task type other than command and http, checked against its executor's schema; absent: none. */
  config?: TaskConfig | null;
}

export interface HttpResult {
  statusCode: number;
  headers: Record<string, string>;
}

/** One dispatch of a job to a node. */
export interface Attempt {
  number: number;
  nodeId: string;
  dispatchedAtMs: number;
  startedAtMs: number | null;
  finishedAtMs: number | null;
  succeeded: boolean;
  reason: FailureReason | null;
  exitCode: number | null;
  error: string;
  /** Job output offset at which this attempt's output begins. */
  outputBase: number;
  /**
   * Does not count against maxRetries: it never started, or the node handed
   * it back (drain deadline, worker shutdown).
   */
  free: boolean;
  /** Peak memory of its processes; 0 = not measured (absent in jobs stored before it was). */
  peakMemoryBytes?: number;
  /** CPU time (user + system) of its processes; 0 = not measured. */
  cpuTimeMs?: number;
}

/** What a worker reports when an attempt ends. */
export interface AttemptResult {
  succeeded: boolean;
  reason: FailureReason | null;
  exitCode: number | null;
  error: string;
  startedAtMs: number;
  finishedAtMs: number;
  stdoutDroppedBytes: number;
  stderrDroppedBytes: number;
  httpResult: HttpResult | null;
  /** Length of the attempt's output over both streams. */
  outputLength: number;
  /** Peak memory of the attempt's processes; 0 = not measured. */
  peakMemoryBytes: number;
  /** CPU time (user + system) of the attempt's processes; 0 = not measured. */
  cpuTimeMs: number;
}

export interface Job {
  id: string;
  /** Submit order; breaks ties between equal priorities (FIFO). */
  seq: number;
  spec: JobSpec;
  state: JobState;
  reason: FailureReason | null;
  exitCode: number | null;
  error: string;
  workerId: string | null;
  attempts: number;
  createdAtMs: number;
  startedAtMs: number | null;
  finishedAtMs: number | null;
  pendingReason: string;
  attemptHistory: Attempt[];
  httpResult: HttpResult | null;
  /** Length of the job's output log over all attempts. */
  outputLength: number;
  stdoutDroppedBytes: number;
  stderrDroppedBytes: number;
  /** A retry waits until then (backoff); 0 = eligible now. */
  notBeforeMs: number;
  /** Name of the token that submitted the job ('' before authentication existed). */
  submittedBy: string;
  /** Name of the token that cancelled the job; '' when nobody did. */
  cancelledBy: string;
}

/** A job as clients see it, with the current attempt's output when asked for. */
export interface JobView extends Job {
  stdout: Uint8Array | null;
  stderr: Uint8Array | null;
  /**
   * Names of the job's env variables, as read from the master: reads leave
   * the values (which may be secrets) out of `spec.env` unless an admin asks.
   */
  envNames?: string[];
}

export interface OutputChunk {
  /** Offset in the job's output log (both streams, all attempts). */
  offset: number;
  stream: OutputStreamName;
  data: Uint8Array;
  timestampMs: number;
  attempt: number;
}

export interface NodeInfo {
  id: string;
  address: string;
  state: NodeState;
  draining: boolean;
  capabilities: string[];
  labels: Record<string, string>;
  maxTasks: number;
  activeTasks: number;
  cpus: number;
  usedCpus: number;
  memoryBytes: number;
  usedMemoryBytes: number;
  weight: number;
  lastHeartbeatMs: number;
  registeredAtMs: number;
  version: string;
  drainDeadlineMs: number;
  /** Why a healthy node takes no new work for now (suspect, skipped after dispatch failures); '' when nothing is wrong. */
  unavailableReason: string;
  /** Times in the last 10 minutes the node went UNHEALTHY and heartbeated again (it flaps); 0 for a steady node. */
  recentFlaps: number;
}

export interface AttemptRef {
  jobId: string;
  attempt: number;
}

export interface AttemptReport extends AttemptRef {
  finished: boolean;
}

export type JobEvent = { type: 'job'; job: Job } | { type: 'output'; chunk: OutputChunk };

/**
 * The shortest heartbeat interval either side accepts: below it heartbeats
 * cost more than they tell (1 ms made 1,563 heartbeats a second from two workers).
 */
export const MIN_HEARTBEAT_INTERVAL_MS = 100;

/** A worker heartbeats at most this fraction of the master's heartbeat timeout apart, so one late beat is no flap. */
export const HEARTBEATS_PER_TIMEOUT = 3;
