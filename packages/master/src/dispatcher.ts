import * as grpc from '@grpc/grpc-js';
import { errorMessage, type Attempt, type AttemptRef, type Clock, type Job, type Timer } from '@dist-exec/core';
import {
  attemptResultFromWire,
  CHANNEL_OPTIONS,
  createChannelCredentials,
  isServiceError,
  num,
  specToWire,
  streamFromWire,
  v1,
  type ExecutionServiceClient,
  type wire,
} from '@dist-exec/proto';
import type { Logger } from 'pino';
import { attemptKey, currentAttempt, type ClusterState } from './cluster-state.js';
import type { AttemptLinks } from './node-manager.js';
import type { NodeRecord } from './registry.js';
import type { Store } from './store/store.js';

export interface DispatcherOptions {
  cluster: ClusterState;
  store: Store;
  clock: Clock;
  logger: Logger;
  /** A worker must answer Execute (start or attach) within this long. */
  dispatchTimeoutMs: number;
  /** Deadline of Cancel calls. */
  callTimeoutMs: number;
  /** Output kept per stream per attempt; workers drop (and count) the rest. */
  outputLimitBytes: number;
  /** SIGTERM → SIGKILL grace on timeout and cancel. */
  killGraceMs: number;
}

/** After a stream breaks mid-attempt, wait this long before attaching again. */
const REATTACH_DELAY_MS = 1000;

interface NodeClient {
  address: string;
  client: ExecutionServiceClient;
}

/**
 * Sends attempts to workers and turns their event streams into ClusterState
 * calls. One gRPC client per worker; one Execute stream per running attempt.
 */
export class Dispatcher implements AttemptLinks {
  readonly #clients = new Map<string, NodeClient>();
  readonly #streams = new Map<string, grpc.ClientReadableStream<wire.ExecuteEvent__Output>>();
  readonly #timers = new Set<Timer>();
  readonly #cluster: ClusterState;
  readonly #options: DispatcherOptions;
  readonly #log: Logger;
  #stopped = false;

  constructor(options: DispatcherOptions) {
    this.#options = options;
    this.#cluster = options.cluster;
    this.#log = options.logger.child({ component: 'dispatcher' });
  }

  get streamCount(): number {
    return this.#streams.size;
  }

  isStreaming(ref: AttemptRef): boolean {
    return this.#streams.has(attemptKey(ref.jobId, ref.attempt));
  }

  /** Sends a newly placed attempt, once its record is durable (so a restart knows it was sent). */
  execute(job: Job, attempt: Attempt, node: NodeRecord): void {
    const ref = { jobId: job.id, attempt: attempt.number };
    this.#options.store.flush().then(
      () => {
        if (this.#stopped || !this.#cluster.currentJob(ref, node.id)) {
          this.#cluster.release(ref, node.id);
          return;
        }
        this.#open(ref, node, job, 0);
      },
      (error: unknown) => {
        this.#cluster.release(ref, node.id);
        this.#cluster.attemptLost(ref, node.id, 'WORKER_LOST', `could not record the attempt: ${errorMessage(error)}`, true);
      },
    );
  }

  /** Re-opens the event stream of an attempt the node already knows, from the output we lack. */
  attach(ref: AttemptRef, node: NodeRecord): void {
    const job = this.#cluster.currentJob(ref, node.id);
    if (!job || this.#stopped || this.isStreaming(ref)) return;
    const attempt = currentAttempt(job) as Attempt;
    this.#log.info({ jobId: ref.jobId, attempt: ref.attempt, nodeId: node.id }, 'attaching to running attempt');
    this.#open(ref, node, job, job.outputLength - attempt.outputBase);
  }

  #open(ref: AttemptRef, node: NodeRecord, job: Job, fromOffset: number): void {
    const key = attemptKey(ref.jobId, ref.attempt);
    const nodeId = node.id;
    const call = this.#client(node).Execute({
      jobId: ref.jobId,
      attempt: ref.attempt,
      spec: specToWire(job.spec),
      fromOffset,
      outputLimitBytes: this.#options.outputLimitBytes,
      killGraceMs: this.#options.killGraceMs,
    });
    this.#streams.set(key, call);
    let answered = false;
    let finished = false;
    let abandoned = false;
    // The call's own deadline would also end a long-running job's stream, so
    // the timeout covers only the worker's first answer.
    const noAnswer = this.#options.clock.setTimeout(() => {
      if (answered) return;
      abandoned = true;
      call.cancel();
      this.#dispatchFailed(ref, nodeId, `node ${nodeId} did not answer Execute within ${this.#options.dispatchTimeoutMs}ms`, null);
    }, this.#options.dispatchTimeoutMs);

    call.on('data', (event: wire.ExecuteEvent__Output) => {
      if (!answered) {
        answered = true;
        noAnswer.cancel();
      }
      if (event.started) {
        this.#cluster.attemptStarted(ref, nodeId, num(event.started.startedAtMs));
      } else if (event.output) {
        const out = event.output;
        this.#cluster.attemptOutput(ref, nodeId, {
          offset: num(out.offset),
          stream: streamFromWire(out.stream),
          data: out.data,
          timestampMs: num(out.timestampMs),
        });
      } else if (event.finished) {
        finished = true;
        this.#cluster.attemptFinished(ref, nodeId, attemptResultFromWire(event.finished));
      }
    });
    let done = false;
    const onDone = (error: unknown): void => {
      if (done) return;
      done = true;
      noAnswer.cancel();
      if (this.#streams.get(key) === call) this.#streams.delete(key);
      if (finished || abandoned || this.#stopped) return;
      if (!answered) {
        this.#dispatchFailed(ref, nodeId, `could not dispatch to node ${nodeId}: ${describeError(error)}`, error);
        return;
      }
      // Broken mid-attempt (network, worker restart): the worker keeps the
      // attempt and its output, so attach again while the node lives. If it is
      // dead, the health controller fails the attempt.
      this.#log.warn({ jobId: ref.jobId, attempt: ref.attempt, nodeId, error: describeError(error) }, 'attempt stream broke');
      this.#later(REATTACH_DELAY_MS, () => {
        const current = this.#cluster.registry.get(nodeId);
        if (current && current.health === 'HEALTHY') this.attach(ref, current);
      });
    };
    call.on('error', onDone);
    call.on('end', () => onDone(null));
  }

  #dispatchFailed(ref: AttemptRef, nodeId: string, message: string, error: unknown): void {
    const code = isServiceError(error) ? error.code : null;
    // A worker that is full or shutting down refused the attempt: it never ran, so it costs no retry.
    const refused = code === grpc.status.RESOURCE_EXHAUSTED || code === grpc.status.FAILED_PRECONDITION;
    const invalid = code === grpc.status.INVALID_ARGUMENT;
    this.#cluster.attemptLost(ref, nodeId, invalid ? 'EXECUTOR_ERROR' : 'WORKER_LOST', message, refused);
    this.#cluster.release(ref, nodeId);
  }

  /** Kills the attempt on its node. Failures are logged; the next heartbeat reconciles. */
  stopAttempt(ref: AttemptRef, nodeId: string): void {
    const node = this.#cluster.registry.get(nodeId);
    if (!node || !node.address || this.#stopped) return;
    const deadline = new Date(this.#options.clock.now() + this.#options.callTimeoutMs);
    this.#client(node).Cancel({ jobId: ref.jobId, attempt: ref.attempt, forget: false }, { deadline }, (error) => {
      if (error) this.#log.warn({ jobId: ref.jobId, attempt: ref.attempt, nodeId, error: error.details }, 'cancel did not reach the worker');
    });
  }

  forgetNode(nodeId: string): void {
    const entry = this.#clients.get(nodeId);
    if (!entry) return;
    this.#clients.delete(nodeId);
    entry.client.close();
  }

  #client(node: NodeRecord): ExecutionServiceClient {
    const entry = this.#clients.get(node.id);
    if (entry && entry.address === node.address) return entry.client;
    entry?.client.close();
    const client = new v1.ExecutionService(node.address, createChannelCredentials(), CHANNEL_OPTIONS);
    this.#clients.set(node.id, { address: node.address, client });
    return client;
  }

  #later(ms: number, fn: () => void): void {
    const timer = this.#options.clock.setTimeout(() => {
      this.#timers.delete(timer);
      if (!this.#stopped) fn();
    }, ms);
    this.#timers.add(timer);
  }

  stop(): void {
    this.#stopped = true;
    for (const timer of this.#timers) timer.cancel();
    this.#timers.clear();
    for (const call of this.#streams.values()) call.cancel();
    this.#streams.clear();
    for (const { client } of this.#clients.values()) client.close();
    this.#clients.clear();
  }
}

function describeError(error: unknown): string {
  if (error === null || error === undefined) return 'stream ended without a result';
  if (isServiceError(error)) return error.details || error.message;
  return errorMessage(error);
}
