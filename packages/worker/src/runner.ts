import {
  attemptKey,
  errorMessage,
  FailedPreconditionError,
  formatBytes,
  InvalidArgumentError,
  ResourceExhaustedError,
  compileJobSpec,
  compileTaskConfig,
  type AttemptRef,
  type AttemptReport,
  type AttemptResult,
  type Clock,
  type CommandPolicy,
  type JobSpec,
  type OutputStreamName,
} from '@dist-exec/core';
import type { Logger } from 'pino';
import type { ExecutionOutcome, Executor } from './executors/index.js';
import { OutputCap } from './output-cap.js';

export interface AttemptOutputEvent {
  /** Offset within the attempt's output, over both streams. */
  offset: number;
  stream: OutputStreamName;
  data: Uint8Array;
  timestampMs: number;
}

/** Where an attempt's events go: one per open Execute stream. */
export interface AttemptSink {
  started(startedAtMs: number, pid: number): void;
  output(event: AttemptOutputEvent): void;
  /** The last event; the stream ends after it. */
  finished(result: AttemptResult): void;
}

export interface ExecuteRequest {
  ref: AttemptRef;
  spec: JobSpec;
  /** Replay output from here when attaching to a known attempt. */
  fromOffset: number;
  /** 0 = the runner's default. */
  outputLimitBytes: number;
  /** 0 = the runner's default. */
  killGraceMs: number;
}

export interface TaskRunnerOptions {
  executors: readonly Executor[];
  clock: Clock;
  logger: Logger;
  maxTasks: number;
  outputLimitBytes: number;
  killGraceMs: number;
  /** Output of finished, unacknowledged attempts kept for replay; the oldest is trimmed beyond. */
  retainedOutputBytes: number;
  /** Memory this worker offers: a job whose limit is above it is refused. 0 = no check. */
  memoryBytes?: number;
  observer?: RunnerObserver;
  /**
   * The worker's own --allow-command / --deny-command, checked before an
   * attempt starts (the master checked its own and the token's at submit):
   * a refused attempt fails with the rule in its error and never spawns.
   */
  commands?: CommandPolicy | null;
}

/** What the runner tells whoever instruments it (metrics). Must be cheap and must not throw. */
export interface RunnerObserver {
  /** An attempt ended: its executor type, result and run time. */
  attemptFinished?(type: string, result: AttemptResult): void;
  /** An executor threw instead of returning an outcome. */
  executorError?(type: string): void;
}

type AbortReason = 'timeout' | 'cancel' | 'fence';

/** The spec of an attempt known only by its ref (one a previous run of the worker left). */
const LOST_SPEC = compileJobSpec({ command: 'true' });

class AttemptRecord {
  readonly key: string;
  startedAtMs: number | null = null;
  pid = 0;
  readonly chunks: AttemptOutputEvent[] = [];
  length = 0;
  /** Bytes kept over chunks that were trimmed to bound memory. */
  trimmedBytes = 0;
  readonly caps: Record<OutputStreamName, OutputCap>;
  result: AttemptResult | null = null;
  readonly sinks = new Set<AttemptSink>();
  readonly abort = new AbortController();
  forgotten = false;

  constructor(
    readonly ref: AttemptRef,
    readonly spec: JobSpec,
    readonly outputLimitBytes: number,
    readonly killGraceMs: number,
  ) {
    this.key = attemptKey(ref.jobId, ref.attempt);
    this.caps = { stdout: new OutputCap(outputLimitBytes), stderr: new OutputCap(outputLimitBytes) };
  }
}

/**
 * Runs attempts through executors and keeps a book of them: output is kept
 * (capped per stream) so a reconnecting master can replay it, and results are
 * kept until the master acknowledges them, so a master restart loses nothing.
 * Execute for an attempt already in the book attaches instead of starting a
 * second process.
 */
export class TaskRunner {
  readonly #executors = new Map<string, Executor>();
  readonly #attempts = new Map<string, AttemptRecord>();
  readonly #options: TaskRunnerOptions;
  readonly #log: Logger;
  readonly #idleWaiters = new Set<() => void>();
  #running = 0;
  #draining = false;
  /** Why running attempts were killed by the fence; '' when not fenced. */
  #fenceError = '';
  #retainedBytes = 0;
  /** This node's id, given to jobs as DIST_EXEC_NODE_ID (known once the server is bound). */
  nodeId = '';

  constructor(options: TaskRunnerOptions) {
    this.#options = options;
    this.#log = options.logger.child({ component: 'runner' });
    for (const executor of options.executors) this.#executors.set(executor.type, executor);
  }

  capabilities(): string[] {
    return [...this.#executors.keys()];
  }

  /** The config schema of each executor that has one, as JSON (RegisterRequest.task_config_schemas). */
  taskConfigSchemas(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [type, executor] of this.#executors) if (executor.config) out[type] = JSON.stringify(executor.config);
    return out;
  }

  get running(): number {
    return this.#running;
  }

  get draining(): boolean {
    return this.#draining;
  }

  /** Stop taking new attempts; running ones go on. */
  drain(): void {
    this.#draining = true;
  }

  undrain(): void {
    this.#draining = false;
  }

  /**
   * The worker lost contact with the master for too long: kill every running
   * attempt (reported as WORKER_LOST, so the master may retry it elsewhere)
   * and take no new work until `unfence()`.
   */
  fence(silentMs: number): void {
    this.#fenceError = `killed by the worker: no heartbeat reached the master for ${silentMs}ms (--fence-after)`;
    for (const record of this.#attempts.values()) if (!record.result) record.abort.abort('fence' satisfies AbortReason);
  }

  unfence(): void {
    this.#fenceError = '';
  }

  get fenced(): boolean {
    return this.#fenceError !== '';
  }

  /** Starts the attempt or attaches to it. Returns a function that detaches the sink (the process goes on). */
  execute(request: ExecuteRequest, sink: AttemptSink): () => void {
    const key = attemptKey(request.ref.jobId, request.ref.attempt);
    const existing = this.#attempts.get(key);
    if (existing) return this.#attach(existing, request.fromOffset, sink);
    const executor = this.#executors.get(request.spec.type);
    if (!executor) {
      throw new InvalidArgumentError(
        `this worker has no "${request.spec.type}" executor; it offers ${this.capabilities().join(', ')}`,
      );
    }
    if (this.#draining) throw new FailedPreconditionError('the worker is draining and takes no new work');
    if (this.#fenceError)
      throw new FailedPreconditionError(
        'the worker lost contact with the master and takes no new work until a heartbeat gets through',
      );
    if (this.#running >= this.#options.maxTasks) {
      throw new ResourceExhaustedError(`the worker runs ${this.#running} of ${this.#options.maxTasks} tasks`);
    }
    this.#checkMemory(request.spec);
    // The master checked the config against the schema this worker sent; a master that did not know it yet did not.
    const spec = executor.config
      ? { ...request.spec, config: compileTaskConfig(request.spec.type, executor.config, request.spec.config) }
      : request.spec;
    executor.check?.(spec);
    const record = new AttemptRecord(
      request.ref,
      spec,
      request.outputLimitBytes || this.#options.outputLimitBytes,
      request.killGraceMs || this.#options.killGraceMs,
    );
    this.#attempts.set(key, record);
    record.sinks.add(sink);
    this.#running += 1;
    void this.#run(record, executor);
    return () => record.sinks.delete(sink);
  }

  #checkMemory(spec: JobSpec): void {
    const offered = this.#options.memoryBytes ?? 0;
    const limit = spec.memoryLimitBytes || spec.memoryBytes;
    if (offered > 0 && limit > offered) {
      const field = spec.memoryLimitBytes ? 'spec.memoryLimitBytes' : 'spec.memoryBytes';
      throw new InvalidArgumentError(
        `${field}: ${formatBytes(limit)} is more memory than this worker offers (--memory ${formatBytes(offered)})`,
        { field },
      );
    }
  }

  /**
   * Attempts a previous run of this worker left running, killed at start:
   * held as lost (WORKER_LOST) until the master acknowledges them, so they
   * are reported with the reason rather than only missed.
   */
  adoptLost(refs: readonly AttemptRef[]): void {
    const now = this.#options.clock.now();
    for (const ref of refs) {
      const key = attemptKey(ref.jobId, ref.attempt);
      if (this.#attempts.has(key)) continue;
      const record = new AttemptRecord(ref, LOST_SPEC, 0, 0);
      record.result = {
        succeeded: false,
        reason: 'WORKER_LOST',
        exitCode: null,
        error: 'killed when its worker restarted: a previous run of the worker (killed?) left it running',
        startedAtMs: now,
        finishedAtMs: now,
        stdoutDroppedBytes: 0,
        stderrDroppedBytes: 0,
        httpResult: null,
        outputLength: 0,
        peakMemoryBytes: 0,
        cpuTimeMs: 0,
      };
      this.#attempts.set(key, record);
    }
  }

  #attach(record: AttemptRecord, fromOffset: number, sink: AttemptSink): () => void {
    if (record.startedAtMs !== null) sink.started(record.startedAtMs, record.pid);
    for (const chunk of record.chunks) {
      const end = chunk.offset + chunk.data.length;
      if (end <= fromOffset) continue;
      sink.output(
        chunk.offset >= fromOffset
          ? chunk
          : { ...chunk, offset: fromOffset, data: chunk.data.subarray(fromOffset - chunk.offset) },
      );
    }
    if (record.result) {
      sink.finished(record.result);
      return () => {};
    }
    record.sinks.add(sink);
    return () => record.sinks.delete(sink);
  }

  async #run(record: AttemptRecord, executor: Executor): Promise<void> {
    const { clock } = this.#options;
    const { abort } = record;
    // Jobs learn who and where they are, like SLURM_JOB_ID or NOMAD_ALLOC_ID.
    const spec: JobSpec = {
      ...record.spec,
      env: {
        DIST_EXEC_JOB_ID: record.ref.jobId,
        DIST_EXEC_ATTEMPT: String(record.ref.attempt),
        DIST_EXEC_NODE_ID: this.nodeId,
        ...record.spec.env,
      },
    };
    // Built only when there is something to log: most attempts log nothing, and a child logger serializes its bindings.
    const log = (): Logger =>
      this.#log.child({ jobId: record.ref.jobId, attempt: record.ref.attempt, nodeId: this.nodeId });
    const timeout =
      spec.timeoutMs > 0 ? clock.setTimeout(() => abort.abort('timeout' satisfies AbortReason), spec.timeoutMs) : null;
    let outcome: ExecutionOutcome;
    const verdict = this.#options.commands?.check(spec);
    try {
      if (verdict && !verdict.ok) {
        log().warn({ reason: verdict.reason }, 'attempt refused by the command rules');
        outcome = { succeeded: false, reason: 'EXECUTOR_ERROR', exitCode: null, error: verdict.reason };
      } else
        outcome = await executor.run({
          attempt: record.ref,
          spec,
          signal: abort.signal,
          killGraceMs: record.killGraceMs,
          onStarted: (pid) => {
            record.startedAtMs = clock.now();
            record.pid = pid;
            for (const sink of record.sinks) sink.started(record.startedAtMs, pid);
          },
          onOutput: (stream, data) => this.#append(record, stream, data),
        });
    } catch (error) {
      log().error({ err: error }, 'executor failed');
      this.#options.observer?.executorError?.(spec.type);
      outcome = {
        succeeded: false,
        reason: 'EXECUTOR_ERROR',
        exitCode: null,
        error: `executor failed: ${errorMessage(error)}`,
      };
    }
    timeout?.cancel();
    // The held tails of output over the limit, after the line that marks the cut.
    for (const stream of ['stdout', 'stderr'] as const)
      for (const piece of record.caps[stream].finish(stream)) this.#emit(record, stream, piece);
    if (abort.signal.aborted && !outcome.succeeded) {
      outcome = { ...outcome, succeeded: false, ...this.#abortOutcome(abort.signal.reason as AbortReason, spec) };
    }
    const finishedAtMs = clock.now();
    record.result = {
      succeeded: outcome.succeeded,
      reason: outcome.reason,
      exitCode: outcome.exitCode,
      error: outcome.error,
      startedAtMs: record.startedAtMs ?? finishedAtMs,
      finishedAtMs,
      stdoutDroppedBytes: record.caps.stdout.dropped,
      stderrDroppedBytes: record.caps.stderr.dropped,
      httpResult: outcome.httpResult ?? null,
      outputLength: record.length,
      peakMemoryBytes: outcome.peakMemoryBytes ?? 0,
      cpuTimeMs: outcome.cpuTimeMs ?? 0,
    };
    this.#running -= 1;
    this.#options.observer?.attemptFinished?.(spec.type, record.result);
    if (this.#log.isLevelEnabled('debug'))
      log().debug(
        { succeeded: outcome.succeeded, reason: outcome.reason, exitCode: outcome.exitCode },
        'attempt finished',
      );
    for (const sink of record.sinks) sink.finished(record.result);
    record.sinks.clear();
    if (record.forgotten) this.#attempts.delete(record.key);
    else this.#retain(record);
    if (this.#running === 0) for (const wake of [...this.#idleWaiters]) wake();
  }

  #abortOutcome(
    reason: AbortReason,
    spec: JobSpec,
  ): Pick<ExecutionOutcome, 'reason' | 'error'> & Partial<ExecutionOutcome> {
    switch (reason) {
      case 'timeout':
        return { reason: 'TIMEOUT', error: `timed out after ${spec.timeoutMs}ms` };
      // A job killed for a cancel or a fence did not end by itself: its exit code is not its result.
      case 'cancel':
        return { reason: 'CANCELLED', error: 'cancelled', exitCode: null };
      case 'fence':
        return {
          reason: 'WORKER_LOST',
          error: this.#fenceError || 'killed by the worker (--fence-after)',
          exitCode: null,
        };
    }
  }

  #append(record: AttemptRecord, stream: OutputStreamName, data: Uint8Array): void {
    const now = record.caps[stream].take(data);
    if (now.length) this.#emit(record, stream, now);
  }

  #emit(record: AttemptRecord, stream: OutputStreamName, keep: Uint8Array): void {
    const event: AttemptOutputEvent = {
      offset: record.length,
      stream,
      data: keep,
      timestampMs: this.#options.clock.now(),
    };
    record.length += keep.length;
    record.chunks.push(event);
    for (const sink of record.sinks) sink.output(event);
  }

  /** Bounds the output kept for finished attempts awaiting acknowledgement by trimming the oldest. */
  #retain(record: AttemptRecord): void {
    this.#retainedBytes += record.length;
    if (this.#retainedBytes <= this.#options.retainedOutputBytes) return;
    for (const other of this.#attempts.values()) {
      if (this.#retainedBytes <= this.#options.retainedOutputBytes) break;
      if (!other.result || other.chunks.length === 0) continue;
      this.#retainedBytes -= other.length - other.trimmedBytes;
      other.trimmedBytes = other.length;
      other.chunks.length = 0;
      this.#log.warn(
        { jobId: other.ref.jobId, attempt: other.ref.attempt },
        'trimmed unacknowledged output to bound memory',
      );
    }
  }

  #forget(record: AttemptRecord): void {
    if (record.result) {
      this.#attempts.delete(record.key);
      this.#retainedBytes -= record.length - record.trimmedBytes;
    } else {
      record.forgotten = true;
    }
  }

  /** Kills the attempt's processes (SIGTERM, then SIGKILL after the grace period). */
  cancel(ref: AttemptRef, forget: boolean): boolean {
    const record = this.#attempts.get(attemptKey(ref.jobId, ref.attempt));
    if (!record) return false;
    if (!record.result) record.abort.abort('cancel' satisfies AbortReason);
    if (forget) this.#forget(record);
    return true;
  }

  /** The master applied these results: forget them. */
  acknowledge(refs: readonly AttemptRef[]): void {
    for (const ref of refs) {
      const record = this.#attempts.get(attemptKey(ref.jobId, ref.attempt));
      if (record?.result) this.#forget(record);
    }
  }

  /** The master does not consider these attempts current: kill and forget them. */
  killStale(refs: readonly AttemptRef[]): void {
    for (const ref of refs) {
      if (this.cancel(ref, true)) this.#log.warn({ jobId: ref.jobId, attempt: ref.attempt }, 'killed stale attempt');
    }
  }

  /** Kills every running attempt (shutdown past its grace period). */
  killAll(): void {
    for (const record of this.#attempts.values())
      if (!record.result) record.abort.abort('cancel' satisfies AbortReason);
  }

  /** Everything the worker holds for the master: running attempts and unacknowledged results. */
  reports(): AttemptReport[] {
    const reports: AttemptReport[] = [];
    for (const record of this.#attempts.values()) {
      if (!record.forgotten)
        reports.push({ jobId: record.ref.jobId, attempt: record.ref.attempt, finished: record.result !== null });
    }
    return reports;
  }

  get unacknowledged(): number {
    let count = 0;
    for (const record of this.#attempts.values()) if (record.result && !record.forgotten) count += 1;
    return count;
  }

  /** Resolves when no attempt is running. */
  whenIdle(): Promise<void> {
    if (this.#running === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = (): void => {
        this.#idleWaiters.delete(wake);
        resolve();
      };
      this.#idleWaiters.add(wake);
    });
  }
}
