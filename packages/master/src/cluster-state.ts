import {
  assertTransition,
  CANNOT_STORE_PREFIX,
  attemptKey,
  currentAttempt,
  FailedPreconditionError,
  NotFoundError,
  ResourceExhaustedError,
  UnavailableError,
  errorMessage,
  isDistExecError,
  type Attempt,
  type AttemptRef,
  type AttemptResult,
  type Clock,
  type FailureReason,
  type Job,
  type JobSpecInput,
  type JobSpecLimits,
  type OutputChunk,
  type OutputStreamName,
  type CommandPolicy,
  type TokenLimits,
} from '@dist-exec/core';
import type { Logger } from 'pino';
import type { RetryController } from './controllers/retry.js';
import { MasterEvents } from './events.js';
import { JobAdmission, type Submitter } from './jobs/job-admission.js';
import { JobIntake, type SubmitResult } from './jobs/job-intake.js';
import { classInterner, JobQueue } from './jobs/job-queue.js';
import { TokenUsage } from './jobs/token-usage.js';
import { JobWatchers, type JobListener } from './jobs/job-watchers.js';
import type { NodeRecord } from './nodes/node-record.js';
import type { NodeRegistry } from './nodes/registry.js';
import type { RecoveredState, Store } from './store/store.js';

export interface ClusterStateOptions {
  store: Store;
  /** The nodes; ClusterState reserves and releases attempts' resources on them. */
  registry: NodeRegistry;
  /** Decides what a failed attempt means, and holds retries through their backoff. */
  retries: RetryController;
  clock: Clock;
  logger: Logger;
  limits: JobSpecLimits;
  /** Most PENDING jobs at once; submits beyond get RESOURCE_EXHAUSTED. */
  maxQueue: number;
  /** Where job events go (metrics, live views). */
  events?: MasterEvents;
  /** The quotas of the token of a name (submitters' --max-pending and --max-running). @default none */
  tokenLimits?: (name: string) => TokenLimits;
  /** The master's --allow-command / --deny-command rules. @default none */
  commands?: CommandPolicy | null;
}

/**
 * What ClusterState asks of the parts built on it. Each subscribes when it is
 * built (the scheduler to `kick`, the dispatcher to `cancelled`); with nobody
 * subscribed (a unit test of the state alone) there is nobody to ask.
 */
export interface ClusterListener {
  /** There may be work to place: run a scheduler pass soon. */
  kick?(): void;
  /** The attempt was cancelled: it must stop on its node. */
  cancelled?(ref: AttemptRef, nodeId: string): void;
}

export type { SubmitResult } from './jobs/job-intake.js';
export type { Submitter } from './jobs/job-admission.js';

/** An attempt output event from a worker, offsets within the attempt. */
export interface AttemptOutput {
  offset: number;
  stream: OutputStreamName;
  data: Uint8Array;
  timestampMs: number;
}

/**
 * The single owner of the jobs' state: jobs, their attempts, the queue, and
 * what each attempt has reserved on its node (through the node registry,
 * which owns the nodes). Everything else reads it and changes it only
 * through these methods, which enforce the job state machine, apply fencing
 * (only the current attempt of a job may change it) and write through the
 * store. What a failed attempt means is the RetryController's verdict.
 *
 * Only PENDING and RUNNING jobs live here; finished jobs are read back from
 * the store (pages, short ids and a job with its output: jobs/job-commands.ts).
 */
export class ClusterState {
  readonly registry: NodeRegistry;
  /** Jobs of each token pending and running, against its quotas. */
  readonly usage: TokenUsage;
  readonly queue = new JobQueue(classInterner());
  readonly #active = new Map<string, Job>();
  readonly #intake: JobIntake;
  readonly #admission: JobAdmission;
  readonly #watchers = new JobWatchers();
  readonly #retries: RetryController;
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #options: ClusterStateOptions;
  readonly #events: MasterEvents;
  #listeners: readonly ClusterListener[] = [];
  #nextSeq = 1;
  #running = 0;

  constructor(options: ClusterStateOptions) {
    this.#options = options;
    this.registry = options.registry;
    this.#retries = options.retries;
    this.#store = options.store;
    this.#clock = options.clock;
    this.#log = options.logger.child({ component: 'cluster-state' });
    this.#events = options.events ?? new MasterEvents();
    this.#intake = new JobIntake({ store: options.store, registry: options.registry, limits: options.limits });
    this.usage = new TokenUsage(options.tokenLimits);
    this.#admission = new JobAdmission({ commands: options.commands ?? null, usage: this.usage });
  }

  /** Tells `listener` what the state asks of it from now on; returns the function that stops it. */
  subscribe(listener: ClusterListener): () => void {
    this.#listeners = [...this.#listeners, listener];
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
    };
  }

  /** Asks for a scheduler pass (capacity or work appeared). */
  kick(): void {
    for (const listener of this.#listeners) listener.kick?.();
  }

  get pendingCount(): number {
    return this.#active.size - this.#running;
  }

  get runningCount(): number {
    return this.#running;
  }

  activeJob(id: string): Job | undefined {
    return this.#active.get(id);
  }

  activeJobs(): IterableIterator<Job> {
    return this.#active.values();
  }

  /** Rebuilds the queue and reservations from what the store kept over a restart. */
  recover(state: RecoveredState): void {
    this.#nextSeq = state.nextSeq;
    for (const job of state.activeJobs) {
      this.#active.set(job.id, job);
      if (job.state === 'PENDING') {
        this.usage.queued(job);
        this.#enqueue(job);
        continue;
      }
      this.#running += 1;
      this.usage.recoveredRunning(job);
      const attempt = currentAttempt(job);
      if (!attempt) continue;
      // The node must re-register and report the attempt before the node-lost timeout.
      const node = this.registry.restore(attempt.nodeId, this.#clock.now());
      this.registry.reserve(node, attemptKey(job.id, attempt.number), {
        cpu: job.spec.cpu,
        memoryBytes: job.spec.memoryBytes,
      });
    }
    this.#log.info({ pending: this.pendingCount, running: this.#running }, 'recovered jobs from the store');
  }

  // ---- submit, read, cancel ----

  /**
   * Validates every spec, then stores all jobs and resolves once they are
   * durable. A bad spec or a full queue rejects the whole batch and stores nothing.
   * `by` is the caller (its token's name is what audit records show); the
   * master's and its token's command rules and its --max-pending apply.
   */
  async submit(inputs: readonly JobSpecInput[], by: Submitter | string = ''): Promise<SubmitResult[]> {
    try {
      return await this.#submit(inputs, typeof by === 'string' ? { name: by } : by);
    } catch (error) {
      this.#events.submitRejected(isDistExecError(error) ? error.code : 'INTERNAL', inputs.length);
      throw error;
    }
  }

  /** Refuses at once while the store cannot write: nothing would be stored. */
  #checkStore(): void {
    const problem = this.#store.problem;
    if (problem) throw new UnavailableError(`${CANNOT_STORE_PREFIX}${problem}`);
  }

  async #submit(inputs: readonly JobSpecInput[], by: Submitter): Promise<SubmitResult[]> {
    const specs = this.#intake.compile(inputs);
    this.#checkStore();
    this.#admission.checkCommands(specs, by);
    const stored = await this.#intake.storedJobs(specs, (id) => this.#active.get(id));
    // From here to the flush nothing awaits, so concurrent submits cannot interleave.
    const { results, created } = this.#intake.build(specs, stored, this.#clock.now(), by.name);
    if (this.pendingCount + created.length > this.#options.maxQueue) {
      throw new ResourceExhaustedError(
        `the queue is full (${this.pendingCount} pending jobs, limit ${this.#options.maxQueue}); retry later or raise --max-queue`,
      );
    }
    this.#admission.checkPending(by, created.length);
    for (const job of created) {
      job.seq = this.#nextSeq++;
      this.#active.set(job.id, job);
      this.usage.queued(job);
      this.#store.putJob(job);
    }
    this.#intake.hold(created);
    try {
      await this.#store.flush();
    } catch (error) {
      for (const job of created) {
        // Cancelled while the write was in flight: #finish counted it out already.
        if (this.#active.delete(job.id) && job.state === 'PENDING') this.usage.dequeued(job);
      }
      throw new UnavailableError(`${CANNOT_STORE_PREFIX}${errorMessage(error)}`, { cause: error });
    } finally {
      this.#intake.release(created);
    }
    for (const job of created) {
      // Cancelled while the write was in flight: keep it out of the queue.
      if (job.state === 'PENDING') this.#enqueue(job);
    }
    if (created.length) {
      this.#events.jobsSubmitted(created);
      this.kick();
    }
    return results;
  }

  async getJob(id: string): Promise<Job> {
    const job = this.#active.get(id) ?? (await this.#store.getJob(id));
    if (!job) throw new NotFoundError(`job ${id} not found`);
    return job;
  }

  readOutput(jobId: string, fromOffset: number): Promise<OutputChunk[]> {
    return this.#store.readOutput(jobId, fromOffset);
  }

  /** Cancels a PENDING or RUNNING job at once; its process is killed in the background. `by`: the caller's token name. */
  async cancel(id: string, by = ''): Promise<Job> {
    const job = await this.getJob(id);
    if (job.state === 'CANCELLED') return job;
    this.#checkStore();
    if (job.state !== 'PENDING' && job.state !== 'RUNNING') {
      throw new FailedPreconditionError(
        `job ${id} already ${job.state}; only pending or running jobs can be cancelled`,
      );
    }
    if (job.state === 'RUNNING') {
      const attempt = currentAttempt(job) as Attempt;
      this.#closeAttempt(attempt, { reason: 'CANCELLED', error: 'cancelled by request' });
      this.#events.attemptEnded(job, attempt);
      for (const listener of this.#listeners)
        listener.cancelled?.({ jobId: id, attempt: attempt.number }, attempt.nodeId);
    }
    job.cancelledBy = by;
    this.#finish(job, 'CANCELLED', 'CANCELLED', by ? `cancelled by ${by}` : 'cancelled by request');
    await this.#store.flush();
    return job;
  }

  // ---- scheduling ----

  /** PENDING → RUNNING on `node`: records the attempt and reserves its resources there. */
  assign(job: Job, node: NodeRecord): Attempt {
    assertTransition(job.id, job.state, 'RUNNING');
    const now = this.#clock.now();
    const previous = currentAttempt(job);
    const attempt: Attempt = {
      number: job.attempts + 1,
      nodeId: node.id,
      dispatchedAtMs: now,
      startedAtMs: null,
      finishedAtMs: null,
      succeeded: false,
      reason: null,
      exitCode: null,
      error: '',
      outputBase: job.outputLength,
      free: false,
    };
    job.attempts = attempt.number;
    job.attemptHistory = [...job.attemptHistory, attempt];
    job.state = 'RUNNING';
    job.workerId = node.id;
    job.pendingReason = '';
    job.notBeforeMs = 0;
    job.exitCode = null;
    job.startedAtMs = null;
    this.#running += 1;
    this.usage.started(job);
    this.registry.reserve(node, attemptKey(job.id, attempt.number), {
      cpu: job.spec.cpu,
      memoryBytes: job.spec.memoryBytes,
    });
    this.#store.putJob(job);
    this.#events.attemptPlaced(job, attempt, now - (previous?.finishedAtMs ?? job.createdAtMs));
    this.#notify(job);
    return attempt;
  }

  /** Records why a PENDING job waits, for `status`; not worth a store write. */
  setPendingReason(job: Job, reason: string): void {
    if (job.pendingReason === reason) return;
    job.pendingReason = reason;
    this.#notify(job);
  }

  // ---- attempt events (fenced: only the current attempt on its node counts) ----

  /** The running job whose current attempt is `ref` on `nodeId`, if it is one. */
  currentJob(ref: AttemptRef, nodeId: string): Job | undefined {
    const job = this.#active.get(ref.jobId);
    if (!job || job.state !== 'RUNNING') return undefined;
    const attempt = currentAttempt(job);
    return attempt && attempt.number === ref.attempt && attempt.nodeId === nodeId ? job : undefined;
  }

  attemptStarted(ref: AttemptRef, nodeId: string, startedAtMs: number): boolean {
    const job = this.currentJob(ref, nodeId);
    if (!job) return false;
    const attempt = currentAttempt(job) as Attempt;
    if (attempt.startedAtMs !== null) return true;
    attempt.startedAtMs = startedAtMs || this.#clock.now();
    job.startedAtMs = attempt.startedAtMs;
    this.#store.putJob(job);
    this.#events.attemptStarted(job, attempt, this.#clock.now() - attempt.dispatchedAtMs);
    this.#notify(job);
    return true;
  }

  /**
   * Appends attempt output to the job's log. Output replayed after a
   * reconnect overlaps what we have; the overlap is skipped, so nothing repeats.
   */
  attemptOutput(ref: AttemptRef, nodeId: string, output: AttemptOutput): boolean {
    const job = this.currentJob(ref, nodeId);
    if (!job) return false;
    const attempt = currentAttempt(job) as Attempt;
    const have = job.outputLength - attempt.outputBase;
    const end = output.offset + output.data.length;
    if (end <= have) return true;
    if (output.offset > have) {
      this.#log.warn(
        { jobId: job.id, attempt: ref.attempt, nodeId, have, offset: output.offset },
        'gap in attempt output; appending at the end',
      );
    }
    const data = output.offset < have ? output.data.subarray(have - output.offset) : output.data;
    const chunk: OutputChunk = {
      offset: job.outputLength,
      stream: output.stream,
      data,
      timestampMs: output.timestampMs,
      attempt: ref.attempt,
    };
    job.outputLength += data.length;
    this.#store.appendOutput(job.id, chunk);
    this.#watchers.emit(job.id, { type: 'output', chunk });
    return true;
  }

  /** The worker reports the attempt ended. Frees its reservation even when it is stale. */
  attemptFinished(ref: AttemptRef, nodeId: string, result: AttemptResult): boolean {
    this.release(ref, nodeId);
    const job = this.currentJob(ref, nodeId);
    if (!job) return false;
    const attempt = currentAttempt(job) as Attempt;
    if (attempt.startedAtMs === null && result.startedAtMs) {
      // A short job's worker may send only its end, which carries the start.
      attempt.startedAtMs = result.startedAtMs;
      this.#events.attemptStarted(job, attempt, this.#clock.now() - attempt.dispatchedAtMs);
    }
    job.startedAtMs ??= attempt.startedAtMs;
    job.exitCode = result.exitCode;
    job.httpResult = result.httpResult;
    job.stdoutDroppedBytes += result.stdoutDroppedBytes;
    job.stderrDroppedBytes += result.stderrDroppedBytes;
    this.#closeAttempt(attempt, result);
    this.#events.attemptEnded(job, attempt);
    if (result.succeeded) this.#finish(job, 'COMPLETED', null, '');
    else this.#afterFailure(job, attempt, result.reason ?? 'EXECUTOR_ERROR', result.error);
    return true;
  }

  /**
   * The current attempt ended without a result from the worker (lost node,
   * failed dispatch, hand-back). `free` attempts do not use up a retry.
   * The reservation stays until the node confirms or is lost.
   */
  attemptLost(ref: AttemptRef, nodeId: string, reason: FailureReason, error: string, free: boolean): boolean {
    const job = this.currentJob(ref, nodeId);
    if (!job) return false;
    const attempt = currentAttempt(job) as Attempt;
    attempt.free = free;
    this.#closeAttempt(attempt, { reason, error });
    this.#events.attemptEnded(job, attempt);
    this.#log.warn({ jobId: job.id, attempt: ref.attempt, nodeId, reason, free }, error);
    this.#afterFailure(job, attempt, reason, error);
    return true;
  }

  /** The node no longer holds the attempt: give its resources back. */
  release(ref: AttemptRef, nodeId: string): void {
    const node = this.registry.get(nodeId);
    if (node && this.registry.release(node, attemptKey(ref.jobId, ref.attempt))) this.kick();
  }

  #closeAttempt(
    attempt: Attempt,
    result: Partial<AttemptResult> & { reason: FailureReason | null; error: string },
  ): void {
    attempt.finishedAtMs = result.finishedAtMs || this.#clock.now();
    attempt.succeeded = result.succeeded ?? false;
    attempt.reason = result.reason;
    attempt.exitCode = result.exitCode ?? null;
    attempt.error = result.error;
    if (result.peakMemoryBytes) attempt.peakMemoryBytes = result.peakMemoryBytes;
    if (result.cpuTimeMs) attempt.cpuTimeMs = result.cpuTimeMs;
  }

  #afterFailure(job: Job, attempt: Attempt, reason: FailureReason, error: string): void {
    const verdict = this.#retries.verdict(job, attempt, reason);
    if (verdict.type === 'finish') {
      this.#finish(job, verdict.state, reason, error);
      return;
    }
    this.#running -= 1;
    this.usage.requeued(job);
    job.state = 'PENDING';
    job.reason = null;
    job.error = '';
    const delay = verdict.delayMs;
    job.notBeforeMs = delay > 0 ? this.#clock.now() + delay : 0;
    job.pendingReason = `attempt ${attempt.number} failed (${reason}: ${error || 'no detail'}); ${delay > 0 ? `retrying in ${delay}ms` : 'retrying'}`;
    this.#store.putJob(job);
    this.#notify(job);
    this.#enqueue(job);
  }

  /** Into the queue now, or once its retry backoff is over. */
  #enqueue(job: Job): void {
    if (job.notBeforeMs > this.#clock.now()) {
      this.#retries.wait(job, () => {
        if (this.#active.get(job.id) === job && job.state === 'PENDING') this.#enqueue(job);
      });
      return;
    }
    job.notBeforeMs = 0;
    this.queue.push(job);
    this.kick();
  }

  #finish(job: Job, state: 'COMPLETED' | 'FAILED' | 'CANCELLED', reason: FailureReason | null, error: string): void {
    assertTransition(job.id, job.state, state);
    if (job.state === 'RUNNING') {
      this.#running -= 1;
      this.usage.ended(job);
    } else {
      this.usage.dequeued(job);
      this.queue.remove(job.id);
      this.#retries.cancel(job.id);
    }
    job.state = state;
    job.reason = reason;
    job.error = error;
    job.pendingReason = '';
    job.notBeforeMs = 0;
    job.finishedAtMs = this.#clock.now();
    this.#active.delete(job.id);
    this.#store.putJob(job);
    this.#events.jobFinished(job);
    this.#notify(job);
  }

  // ---- watchers ----

  /** Calls listener with every change and output chunk of the job until unsubscribed. */
  watch(jobId: string, listener: JobListener): () => void {
    return this.#watchers.watch(jobId, listener);
  }

  /** Whether anyone watches the job (worth spending effort on live updates). */
  isWatched(jobId: string): boolean {
    return this.#watchers.has(jobId);
  }

  #notify(job: Job): void {
    this.#events.jobChanged(job);
    this.#watchers.emit(job.id, { type: 'job', job });
  }

  /** Stops waiting out retry backoffs; state stays for inspection. */
  stop(): void {
    this.#retries.stop();
  }
}
