import * as grpc from '@grpc/grpc-js';
import { errorMessage, type Attempt, type AttemptRef, type Clock, type Job } from '@dist-exec/core';
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
import { attemptKey, currentAttempt, parseAttemptKey, type ClusterState } from './cluster-state.js';
import type { DispatchBreakers } from './dispatch-breaker.js';
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
  /** Skips nodes whose dispatches keep failing. */
  breakers: DispatchBreakers;
  /** Makes a node suspect at once when its stream breaks or a dispatch fails (see FailureDetector). */
  suspect(nodeId: string, why: string): void;
}

/** The worker answered and declined: it is alive, and it does not run the attempt. */
const DECLINED = new Set<number>([grpc.status.RESOURCE_EXHAUSTED, grpc.status.FAILED_PRECONDITION, grpc.status.INVALID_ARGUMENT]);

/** The call never reached the worker: no connection could be made. */
function neverConnected(error: unknown): boolean {
  return isServiceError(error) && error.code === grpc.status.UNAVAILABLE && /No connection established|ECONNREFUSED/.test(error.details);
}

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
    // Synchronously, so a half-open breaker lets only this one through in the current pass.
    this.#options.breakers.dispatched(node);
    this.#options.store.flush().then(
      () => {
        if (this.#stopped || !this.#cluster.currentJob(ref, node.id)) {
          this.#cluster.release(ref, node.id);
          return;
        }
        this.#open(ref, node, job, 0, 'start');
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
    this.#open(ref, node, job, job.outputLength - attempt.outputBase, 'attach');
  }

  /** The node is reachable again: re-open the streams of its current attempts that broke. */
  reattachNode(node: NodeRecord): void {
    for (const key of [...node.reservations.keys()]) {
      const ref = parseAttemptKey(key);
      if (!this.isStreaming(ref) && this.#cluster.currentJob(ref, node.id)) this.attach(ref, node);
    }
  }

  /**
   * `start` sends a new attempt: if the worker never answers, the attempt
   * failed. `attach` re-opens the stream of an attempt the worker runs: if
   * that fails, the node is suspect, and the probe or the heartbeat timeout
   * decides the attempt's fate.
   */
  #open(ref: AttemptRef, node: NodeRecord, job: Job, fromOffset: number, mode: 'start' | 'attach'): void {
    const key = attemptKey(ref.jobId, ref.attempt);
    const nodeId = node.id;
    const call = this.#client(node).Execute(
      {
        jobId: ref.jobId,
        attempt: ref.attempt,
        spec: specToWire(job.spec),
        fromOffset,
        outputLimitBytes: this.#options.outputLimitBytes,
        killGraceMs: this.#options.killGraceMs,
      },
      // A new attempt to a dead worker should fail at once; an attach may wait out a reconnect.
      new grpc.Metadata({ waitForReady: mode === 'attach' }),
    );
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
      const message = `node ${nodeId} did not answer Execute within ${this.#options.dispatchTimeoutMs}ms`;
      if (mode === 'attach') this.#options.suspect(nodeId, message);
      else this.#dispatchFailed(ref, nodeId, message, null);
    }, this.#options.dispatchTimeoutMs);

    call.on('data', (event: wire.ExecuteEvent__Output) => {
      if (!answered) {
        answered = true;
        noAnswer.cancel();
        const current = this.#cluster.registry.get(nodeId);
        if (current) this.#options.breakers.success(current);
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
      if (!answered && (mode === 'start' || (isServiceError(error) && DECLINED.has(error.code)))) {
        // An attach the worker declines means it does not have the attempt: it is lost all the same.
        this.#dispatchFailed(ref, nodeId, `could not dispatch to node ${nodeId}: ${describeError(error)}`, error);
        return;
      }
      // Broken mid-attempt (network, worker killed or restarting): suspect the
      // node at once. The worker keeps the attempt and its output, so once a
      // probe reaches it the stream is re-opened; if the probe finds it gone,
      // its attempts fail now instead of at the heartbeat timeout.
      this.#log.warn({ jobId: ref.jobId, attempt: ref.attempt, nodeId, error: describeError(error) }, 'attempt stream broke');
      this.#options.suspect(nodeId, `the Execute stream of job ${ref.jobId} attempt ${ref.attempt} broke: ${describeError(error)}`);
    };
    call.on('error', onDone);
    call.on('end', () => onDone(null));
  }

  /**
   * The attempt did not get going on its node. It costs no retry when it
   * surely never ran there (the worker declined it, or no connection could be
   * made); otherwise (no answer in time, connection dropped) it may have
   * started, so it counts, and the node is told to kill it in case it did.
   */
  #dispatchFailed(ref: AttemptRef, nodeId: string, message: string, error: unknown): void {
    const code = isServiceError(error) ? error.code : null;
    const declined = code === grpc.status.RESOURCE_EXHAUSTED || code === grpc.status.FAILED_PRECONDITION;
    const invalid = code === grpc.status.INVALID_ARGUMENT;
    const free = declined || neverConnected(error);
    const lost = this.#cluster.attemptLost(ref, nodeId, invalid ? 'EXECUTOR_ERROR' : 'WORKER_LOST', message, free);
    if (lost && !free && !invalid) this.stopAttempt(ref, nodeId);
    this.#cluster.release(ref, nodeId);
    const node = this.#cluster.registry.get(nodeId);
    if (!node || invalid) return;
    this.#options.breakers.failure(node, message);
    // A worker that declined is alive; one that did not answer is suspect.
    if (!declined) this.#options.suspect(nodeId, message);
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

  nodeRegistered(nodeId: string): void {
    this.#options.breakers.forget(nodeId);
    // A worker restarted on the same address finds our channel still backing
    // off from its crash: calls would fail fast until the backoff ends, and
    // trip the breaker on a healthy node. Dial it afresh instead.
    const entry = this.#clients.get(nodeId);
    if (entry?.client.getChannel().getConnectivityState(false) === grpc.connectivityState.TRANSIENT_FAILURE) {
      this.#clients.delete(nodeId);
      entry.client.close();
    }
    const node = this.#cluster.registry.get(nodeId);
    if (node?.skipReason) node.skipReason = '';
  }

  forgetNode(nodeId: string): void {
    this.#options.breakers.forget(nodeId);
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

  stop(): void {
    this.#stopped = true;
    this.#options.breakers.stop();
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
