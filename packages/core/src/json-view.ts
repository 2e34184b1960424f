import { describeSpec } from './job-spec.js';
import type { TaskConfig } from './task-config.js';
import type { Attempt, FailureReason, JobState, JobView, NodeInfo, NodeState } from './types.js';

/**
 * The JSON shape of jobs and nodes, shared by the CLI's `--json` and the HTTP
 * API so that both print exactly the same thing.
 */
export interface AttemptJson {
  attempt: number;
  nodeId: string;
  dispatchedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  succeeded: boolean;
  reason: FailureReason | null;
  exitCode: number | null;
  error: string | null;
  /** Peak memory of its processes; 0 = not measured. */
  peakMemoryBytes: number;
  /** CPU time (user + system) of its processes; 0 = not measured. */
  cpuTimeMs: number;
}

export interface JobJson {
  id: string;
  state: JobState;
  type: string;
  command: string;
  argv: string[];
  /** The task type's config (types other than command and http); absent: none. */
  config?: TaskConfig;
  exitCode: number | null;
  reason: FailureReason | null;
  error: string | null;
  pendingReason: string | null;
  stdout: string | null;
  stderr: string | null;
  stdoutDroppedBytes: number;
  stderrDroppedBytes: number;
  outputLength: number;
  workerId: string | null;
  attempts: number;
  maxRetries: number;
  priority: number;
  timeoutMs: number;
  labels: Record<string, string>;
  constraints: Record<string, string>;
  cpu: number;
  memoryBytes: number;
  /** Hard memory limit above the request; 0 = the request is the limit. */
  memoryLimitBytes: number;
  /** User the job asked to run as; null = the worker's choice. */
  user: string | null;
  cwd: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  attemptHistory: AttemptJson[];
  httpResult: { statusCode: number; headers: Record<string, string> } | null;
  /** Name of the token that submitted the job; null when unknown. */
  submittedBy: string | null;
  /** Name of the token that cancelled the job; null when nobody did. */
  cancelledBy: string | null;
  /** Names of the job's environment variables; their values are secret. */
  envNames: string[];
  /** The values too: only when an admin asked for them. */
  env?: Record<string, string>;
}

export interface NodeJson {
  id: string;
  address: string;
  state: NodeState;
  draining: boolean;
  activeTasks: number;
  maxTasks: number;
  cpus: number;
  usedCpus: number;
  memoryBytes: number;
  usedMemoryBytes: number;
  labels: Record<string, string>;
  capabilities: string[];
  weight: number;
  lastHeartbeat: string;
  registeredAt: string;
  version: string;
  /** Why a healthy node takes no new work for now; null when nothing is wrong. */
  unavailableReason: string | null;
  /** Times in the last 10 minutes it went UNHEALTHY and heartbeated again. */
  recentFlaps: number;
}

interface Utf8Decoder {
  decode(bytes: Uint8Array): string;
}
// core runs without DOM or Node types; TextDecoder exists on every host we target.
const decoder = new (globalThis as unknown as { TextDecoder: new () => Utf8Decoder }).TextDecoder();

export function isoTime(ms: number | null): string | null {
  return ms ? new Date(ms).toISOString() : null;
}

function attemptToJson(a: Attempt): AttemptJson {
  return {
    attempt: a.number,
    nodeId: a.nodeId,
    dispatchedAt: isoTime(a.dispatchedAtMs) ?? '',
    startedAt: isoTime(a.startedAtMs),
    finishedAt: isoTime(a.finishedAtMs),
    succeeded: a.succeeded,
    reason: a.reason,
    exitCode: a.exitCode,
    error: a.error || null,
    peakMemoryBytes: a.peakMemoryBytes ?? 0,
    cpuTimeMs: a.cpuTimeMs ?? 0,
  };
}

/** `env`: include the env values (for an admin who asked); by default only their names. */
export function jobToJson(job: JobView, options: { env?: boolean } = {}): JobJson {
  return {
    id: job.id,
    state: job.state,
    type: job.spec.type,
    command: describeSpec(job.spec),
    argv: job.spec.argv,
    ...(job.spec.config ? { config: job.spec.config } : {}),
    exitCode: job.exitCode,
    reason: job.reason,
    error: job.error || null,
    pendingReason: job.state === 'PENDING' && job.pendingReason ? job.pendingReason : null,
    stdout: job.stdout ? decoder.decode(job.stdout) : null,
    stderr: job.stderr ? decoder.decode(job.stderr) : null,
    stdoutDroppedBytes: job.stdoutDroppedBytes,
    stderrDroppedBytes: job.stderrDroppedBytes,
    outputLength: job.outputLength,
    workerId: job.workerId,
    attempts: job.attempts,
    maxRetries: job.spec.maxRetries,
    priority: job.spec.priority,
    timeoutMs: job.spec.timeoutMs,
    labels: job.spec.labels,
    constraints: job.spec.constraints,
    cpu: job.spec.cpu,
    memoryBytes: job.spec.memoryBytes,
    memoryLimitBytes: job.spec.memoryLimitBytes ?? 0,
    user: job.spec.user || null,
    cwd: job.spec.cwd || null,
    createdAt: isoTime(job.createdAtMs) ?? '',
    startedAt: isoTime(job.startedAtMs),
    finishedAt: isoTime(job.finishedAtMs),
    attemptHistory: job.attemptHistory.map(attemptToJson),
    httpResult: job.httpResult,
    submittedBy: job.submittedBy || null,
    cancelledBy: job.cancelledBy || null,
    envNames: job.envNames ?? envNames(job.spec.env),
    ...(options.env ? { env: { ...job.spec.env } } : {}),
  };
}

/** The names of an environment, sorted; a job's env values are secrets and are shown only to admins who ask. */
export function envNames(env: Readonly<Record<string, string>>): string[] {
  return Object.keys(env).sort();
}

export function nodeToJson(node: NodeInfo): NodeJson {
  return {
    id: node.id,
    address: node.address,
    state: node.state,
    draining: node.draining,
    activeTasks: node.activeTasks,
    maxTasks: node.maxTasks,
    cpus: node.cpus,
    usedCpus: node.usedCpus,
    memoryBytes: node.memoryBytes,
    usedMemoryBytes: node.usedMemoryBytes,
    labels: node.labels,
    capabilities: node.capabilities,
    weight: node.weight,
    lastHeartbeat: isoTime(node.lastHeartbeatMs) ?? '',
    registeredAt: isoTime(node.registeredAtMs) ?? '',
    version: node.version,
    unavailableReason: node.unavailableReason || null,
    recentFlaps: node.recentFlaps,
  };
}
