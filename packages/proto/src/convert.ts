/**
 * Conversions between the generated wire types and core's domain types. Every
 * gRPC adapter (master api, worker server, client) goes through these, so the
 * code inside speaks only domain types.
 */
import type {
  Attempt,
  AttemptRef,
  AttemptReport,
  AttemptResult,
  FailureReason,
  HttpRequestSpec,
  HttpResult,
  Job,
  JobSpec,
  JobSpecInput,
  JobState,
  JobView,
  NodeInfo,
  NodeState,
  OutputChunk,
  OutputStreamName,
} from '@dist-exec/core';
import {
  checkTaskConfigSize,
  EMPTY_BYTES,
  EMPTY_RECORD,
  EMPTY_STRINGS,
  envNames,
  InvalidArgumentError,
  type TaskConfig,
} from '@dist-exec/core';
import type * as wire from './wire.js';
import type { FailureReason__Output } from './generated/distexec/v1/FailureReason.js';
import type { JobState__Output } from './generated/distexec/v1/JobState.js';
import type { NodeState__Output } from './generated/distexec/v1/NodeState.js';
import type { OutputStream__Output } from './generated/distexec/v1/OutputStream.js';
import type { HttpRequestSpec__Output } from './generated/distexec/v1/HttpRequestSpec.js';
import type { HttpResult__Output } from './generated/distexec/v1/HttpResult.js';

const EMPTY = EMPTY_BYTES;

// int64 fields arrive as numbers (--longs=Number): ours stay below 2^53.
export function num(value: string | number | undefined | null): number {
  return value === undefined || value === null || value === '' ? 0 : Number(value);
}

function orNull(ms: number): number | null {
  return ms === 0 ? null : ms;
}

// ---- enums ----

export function jobStateToWire(state: JobState): JobState__Output {
  return `JOB_STATE_${state}`;
}

export function jobStateFromWire(state: JobState__Output | number): JobState | null {
  if (typeof state !== 'string' || state === 'JOB_STATE_UNSPECIFIED') return null;
  return state.slice('JOB_STATE_'.length) as JobState;
}

export function reasonToWire(reason: FailureReason | null): FailureReason__Output {
  return reason ? `FAILURE_REASON_${reason}` : 'FAILURE_REASON_UNSPECIFIED';
}

export function reasonFromWire(reason: FailureReason__Output | number): FailureReason | null {
  if (typeof reason !== 'string' || reason === 'FAILURE_REASON_UNSPECIFIED') return null;
  return reason.slice('FAILURE_REASON_'.length) as FailureReason;
}

export function nodeStateToWire(state: NodeState): NodeState__Output {
  return `NODE_STATE_${state}`;
}

export function nodeStateFromWire(state: NodeState__Output | number): NodeState {
  if (typeof state !== 'string' || state === 'NODE_STATE_UNSPECIFIED') return 'UNHEALTHY';
  return state.slice('NODE_STATE_'.length) as NodeState;
}

export function streamToWire(stream: OutputStreamName): OutputStream__Output {
  return stream === 'stdout' ? 'OUTPUT_STREAM_STDOUT' : 'OUTPUT_STREAM_STDERR';
}

export function streamFromWire(stream: OutputStream__Output | number): OutputStreamName {
  return stream === 'OUTPUT_STREAM_STDERR' ? 'stderr' : 'stdout';
}

// ---- job spec ----

function httpSpecToWire(http: HttpRequestSpec | null): wire.JobSpec['http'] {
  return http
    ? {
        url: http.url,
        method: http.method,
        headers: http.headers,
        body: http.body,
        expectedStatus: http.expectedStatus,
      }
    : null;
}

function httpSpecFromWire(http: HttpRequestSpec__Output | null): HttpRequestSpec | null {
  if (!http) return null;
  return {
    url: http.url,
    method: http.method,
    headers: http.headers,
    body: http.body,
    expectedStatus: http.expectedStatus,
  };
}

export function specToWire(spec: JobSpecInput): wire.JobSpec {
  return {
    type: spec.type,
    command: spec.command,
    argv: spec.argv,
    env: spec.env,
    cwd: spec.cwd,
    stdin: spec.stdin,
    priority: spec.priority,
    timeoutMs: spec.timeoutMs,
    labels: spec.labels,
    constraints: spec.constraints,
    cpu: spec.cpu,
    memoryBytes: spec.memoryBytes,
    maxRetries: spec.maxRetries,
    retryOnFailure: spec.retryOnFailure,
    idempotencyKey: spec.idempotencyKey,
    http: httpSpecToWire(spec.http ?? null),
    memoryLimitBytes: spec.memoryLimitBytes,
    user: spec.user,
    configJson: spec.config ? JSON.stringify(spec.config) : '',
  };
}

/** A task type's config from its JSON (any task type: the registry's schema checks it later). */
function configFromWire(json: string): TaskConfig | undefined {
  if (!json) return undefined;
  checkTaskConfigSize(json, 'spec.config_json');
  let config: unknown;
  try {
    config = JSON.parse(json);
  } catch {
    throw new InvalidArgumentError('spec.config_json: not JSON; give the config as a JSON object', {
      field: 'spec.config_json',
    });
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config))
    throw new InvalidArgumentError('spec.config_json: must be a JSON object', { field: 'spec.config_json' });
  return config as TaskConfig;
}

function hasKeys(map: Record<string, string>): boolean {
  for (const _key in map) return true;
  return false;
}

/**
 * Unvalidated: callers that accept specs from outside run `compileJobSpec` on the result.
 * Empty maps, lists and bytes (the decoder makes fresh ones for every message)
 * are left out rather than passed on, so that nothing keeps them: in a bulk
 * submit they would otherwise live as long as the whole call and be promoted
 * to the old generation as garbage.
 */
export function specFromWire(spec: wire.JobSpec__Output | null): JobSpecInput {
  if (!spec) return {};
  return {
    type: spec.type,
    command: spec.command,
    argv: spec.argv.length ? spec.argv : undefined,
    env: hasKeys(spec.env) ? spec.env : undefined,
    cwd: spec.cwd,
    stdin: spec.stdin.length ? spec.stdin : undefined,
    priority: spec.priority,
    timeoutMs: spec.timeoutMs,
    labels: hasKeys(spec.labels) ? spec.labels : undefined,
    constraints: hasKeys(spec.constraints) ? spec.constraints : undefined,
    cpu: spec.cpu,
    memoryBytes: num(spec.memoryBytes),
    maxRetries: spec.maxRetries,
    retryOnFailure: spec.retryOnFailure,
    idempotencyKey: spec.idempotencyKey,
    http: httpSpecFromWire(spec.http),
    memoryLimitBytes: num(spec.memoryLimitBytes),
    user: spec.user,
    config: configFromWire(spec.configJson),
  };
}

/** For specs that were validated by the master before they reached the wire. */
export function trustedSpecFromWire(spec: wire.JobSpec__Output | null): JobSpec {
  const s = specFromWire(spec);
  const trusted: JobSpec = {
    type: s.type || 'command',
    command: s.command ?? '',
    argv: s.argv ?? EMPTY_STRINGS,
    env: s.env ?? EMPTY_RECORD,
    cwd: s.cwd ?? '',
    stdin: s.stdin ?? EMPTY,
    priority: s.priority ?? 0,
    timeoutMs: s.timeoutMs ?? 0,
    labels: s.labels ?? EMPTY_RECORD,
    constraints: s.constraints ?? EMPTY_RECORD,
    cpu: s.cpu ?? 0,
    memoryBytes: s.memoryBytes ?? 0,
    maxRetries: s.maxRetries ?? 0,
    retryOnFailure: s.retryOnFailure ?? false,
    idempotencyKey: s.idempotencyKey ?? '',
    http: s.http ?? null,
    memoryLimitBytes: s.memoryLimitBytes ?? 0,
    user: s.user ?? '',
  };
  if (s.config) trusted.config = s.config;
  return trusted;
}

// ---- jobs ----

function httpResultToWire(result: HttpResult | null): wire.Job['httpResult'] {
  return result ? { statusCode: result.statusCode, headers: result.headers } : null;
}

function httpResultFromWire(result: HttpResult__Output | null): HttpResult | null {
  return result && result.statusCode ? { statusCode: result.statusCode, headers: result.headers } : null;
}

function attemptToWire(a: Attempt): wire.Attempt {
  return {
    number: a.number,
    nodeId: a.nodeId,
    dispatchedAtMs: a.dispatchedAtMs,
    startedAtMs: a.startedAtMs ?? 0,
    finishedAtMs: a.finishedAtMs ?? 0,
    reason: reasonToWire(a.reason),
    ...(a.exitCode === null ? {} : { exitCode: a.exitCode }),
    error: a.error,
    succeeded: a.succeeded,
    peakMemoryBytes: a.peakMemoryBytes ?? 0,
    cpuTimeMs: a.cpuTimeMs ?? 0,
  };
}

function attemptFromWire(a: wire.Attempt__Output): Attempt {
  return {
    number: a.number,
    nodeId: a.nodeId,
    dispatchedAtMs: num(a.dispatchedAtMs),
    startedAtMs: orNull(num(a.startedAtMs)),
    finishedAtMs: orNull(num(a.finishedAtMs)),
    succeeded: a.succeeded,
    reason: reasonFromWire(a.reason),
    exitCode: a.exitCode ?? null,
    error: a.error,
    outputBase: 0,
    free: false,
    peakMemoryBytes: num(a.peakMemoryBytes),
    cpuTimeMs: num(a.cpuTimeMs),
  };
}

/** A spec as reads show it: the env's names stay (in Job.env_names), its values do not. */
function specForRead(spec: JobSpec, envValues: boolean): wire.JobSpec {
  const wireSpec = specToWire(spec);
  if (!envValues && hasKeys(spec.env)) wireSpec.env = EMPTY_RECORD;
  return wireSpec;
}

/**
 * A job as reads answer it. `brief`: without the spec and attempt history
 * (WatchJobs with brief). The env's values may be secrets: they are left out
 * (their names are in env_names) unless `envValues` (an admin asked).
 */
export function jobToWire(job: Job | JobView, brief = false, envValues = false): wire.Job {
  const view = job as Partial<JobView>;
  return {
    id: job.id,
    spec: brief ? null : specForRead(job.spec, envValues),
    state: jobStateToWire(job.state),
    reason: reasonToWire(job.reason),
    ...(job.exitCode === null ? {} : { exitCode: job.exitCode }),
    error: job.error,
    workerId: job.workerId ?? '',
    attempts: job.attempts,
    createdAtMs: job.createdAtMs,
    startedAtMs: job.startedAtMs ?? 0,
    finishedAtMs: job.finishedAtMs ?? 0,
    stdout: view.stdout ?? EMPTY,
    stderr: view.stderr ?? EMPTY,
    stdoutDroppedBytes: job.stdoutDroppedBytes,
    stderrDroppedBytes: job.stderrDroppedBytes,
    pendingReason: job.pendingReason,
    attemptHistory: brief ? [] : job.attemptHistory.map(attemptToWire),
    httpResult: httpResultToWire(job.httpResult),
    outputLength: job.outputLength,
    notBeforeMs: job.notBeforeMs,
    submittedBy: job.submittedBy,
    cancelledBy: job.cancelledBy,
    envNames: hasKeys(job.spec.env) ? envNames(job.spec.env) : EMPTY_STRINGS,
  };
}

/** `withOutput`: the request asked for output, so empty bytes mean "no output" rather than "not sent". */
export function jobFromWire(job: wire.Job__Output, withOutput = false): JobView {
  return {
    id: job.id,
    seq: 0,
    spec: trustedSpecFromWire(job.spec),
    state: jobStateFromWire(job.state) ?? 'PENDING',
    reason: reasonFromWire(job.reason),
    exitCode: job.exitCode ?? null,
    error: job.error,
    workerId: job.workerId || null,
    attempts: job.attempts,
    createdAtMs: num(job.createdAtMs),
    startedAtMs: orNull(num(job.startedAtMs)),
    finishedAtMs: orNull(num(job.finishedAtMs)),
    pendingReason: job.pendingReason,
    attemptHistory: job.attemptHistory.map(attemptFromWire),
    httpResult: httpResultFromWire(job.httpResult),
    outputLength: num(job.outputLength),
    stdoutDroppedBytes: num(job.stdoutDroppedBytes),
    stderrDroppedBytes: num(job.stderrDroppedBytes),
    notBeforeMs: num(job.notBeforeMs),
    submittedBy: job.submittedBy,
    cancelledBy: job.cancelledBy,
    envNames: job.envNames,
    stdout: withOutput ? job.stdout : null,
    stderr: withOutput ? job.stderr : null,
  };
}

export function chunkToWire(chunk: OutputChunk): wire.OutputChunk {
  return {
    offset: chunk.offset,
    stream: streamToWire(chunk.stream),
    data: chunk.data,
    timestampMs: chunk.timestampMs,
    attempt: chunk.attempt,
  };
}

export function chunkFromWire(chunk: wire.OutputChunk__Output): OutputChunk {
  return {
    offset: num(chunk.offset),
    stream: streamFromWire(chunk.stream),
    data: chunk.data,
    timestampMs: num(chunk.timestampMs),
    attempt: chunk.attempt,
  };
}

// ---- nodes ----

export function nodeToWire(node: NodeInfo): wire.Node {
  return {
    id: node.id,
    address: node.address,
    state: nodeStateToWire(node.state),
    draining: node.draining,
    capabilities: node.capabilities,
    labels: node.labels,
    maxTasks: node.maxTasks,
    activeTasks: node.activeTasks,
    cpus: node.cpus,
    usedCpus: node.usedCpus,
    memoryBytes: node.memoryBytes,
    usedMemoryBytes: node.usedMemoryBytes,
    weight: node.weight,
    lastHeartbeatMs: node.lastHeartbeatMs,
    registeredAtMs: node.registeredAtMs,
    version: node.version,
    drainDeadlineMs: node.drainDeadlineMs,
    unavailableReason: node.unavailableReason,
    recentFlaps: node.recentFlaps,
  };
}

export function nodeFromWire(node: wire.Node__Output): NodeInfo {
  return {
    id: node.id,
    address: node.address,
    state: nodeStateFromWire(node.state),
    draining: node.draining,
    capabilities: node.capabilities,
    labels: node.labels,
    maxTasks: node.maxTasks,
    activeTasks: node.activeTasks,
    cpus: node.cpus,
    usedCpus: node.usedCpus,
    memoryBytes: num(node.memoryBytes),
    usedMemoryBytes: num(node.usedMemoryBytes),
    weight: node.weight,
    lastHeartbeatMs: num(node.lastHeartbeatMs),
    registeredAtMs: num(node.registeredAtMs),
    version: node.version,
    drainDeadlineMs: num(node.drainDeadlineMs),
    unavailableReason: node.unavailableReason,
    recentFlaps: node.recentFlaps,
  };
}

// ---- attempts (worker protocol) ----

export function attemptRefsFromWire(refs: wire.AttemptRef__Output[]): AttemptRef[] {
  return refs.map((r) => ({ jobId: r.jobId, attempt: r.attempt }));
}

export function attemptReportsFromWire(reports: wire.AttemptReport__Output[]): AttemptReport[] {
  return reports.map((r) => ({ jobId: r.jobId, attempt: r.attempt, finished: r.finished }));
}

export function attemptResultToWire(result: AttemptResult): wire.AttemptFinished {
  return {
    succeeded: result.succeeded,
    reason: reasonToWire(result.reason),
    ...(result.exitCode === null ? {} : { exitCode: result.exitCode }),
    error: result.error,
    startedAtMs: result.startedAtMs,
    finishedAtMs: result.finishedAtMs,
    stdoutDroppedBytes: result.stdoutDroppedBytes,
    stderrDroppedBytes: result.stderrDroppedBytes,
    httpResult: httpResultToWire(result.httpResult),
    outputLength: result.outputLength,
    peakMemoryBytes: result.peakMemoryBytes,
    cpuTimeMs: result.cpuTimeMs,
  };
}

export function attemptResultFromWire(result: wire.AttemptFinished__Output): AttemptResult {
  return {
    succeeded: result.succeeded,
    reason: reasonFromWire(result.reason),
    exitCode: result.exitCode ?? null,
    error: result.error,
    startedAtMs: num(result.startedAtMs),
    finishedAtMs: num(result.finishedAtMs),
    stdoutDroppedBytes: num(result.stdoutDroppedBytes),
    stderrDroppedBytes: num(result.stderrDroppedBytes),
    httpResult: httpResultFromWire(result.httpResult),
    outputLength: num(result.outputLength),
    peakMemoryBytes: num(result.peakMemoryBytes),
    cpuTimeMs: num(result.cpuTimeMs),
  };
}
