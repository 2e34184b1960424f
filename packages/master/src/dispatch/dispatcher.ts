import * as grpc from '@grpc/grpc-js';
import {
  attemptKey,
  currentAttempt,
  errorMessage,
  parseAttemptKey,
  type Attempt,
  type AttemptRef,
  type Clock,
  type Job,
} from '@dist-exec/core';
import {
  attemptResultFromWire,
  CHANNEL_OPTIONS,
  createChannelCredentials,
  describeTlsFailure,
  isServiceError,
  num,
  specToWire,
  streamFromWire,
  v1,
  withBearerToken,
  withTls,
  type ClientTls,
  type ExecutionServiceClient,
  type wire,
} from '@dist-exec/proto';
import type { Logger } from 'pino';
import { AnswerDeadlines } from './answer-deadlines.js';
import { AttemptLink, type LinkHost, type LinkMode } from './attempt-link.js';
import type { ClusterState } from '../cluster-state.js';
import type { DispatchBreakers } from './dispatch-breaker.js';
import { DispatchStream } from './dispatch-stream.js';
import type { FailureDetector } from '../nodes/failure-detector.js';
import type { AttemptLinks } from '../nodes/node-manager.js';
import type { NodeRecord } from '../nodes/node-record.js';
import type { Store } from '../store/store.js';

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
  /** How workers are dialled: TLS (verified with this CA, presenting this certificate), or null: plaintext. */
  tls?: ClientTls | null;
  /** Skips nodes whose dispatches keep failing. */
  breakers: DispatchBreakers;
  /**
   * Told at once when a node's stream breaks or a dispatch to it fails (it
   * probes the node); tells the dispatcher when the node is reachable again.
   */
  detector: FailureDetector;
  /**
   * The lease of a leading master among several: every order names its epoch
   * (workers refuse older ones), and none goes out once the lease no longer
   * holds by this master's clock. Absent for a master on its own.
   */
  lease?: { readonly epoch: number; holds(): boolean; lost(reason: string): void };
}

/** The call never reached the worker: no connection could be made. */
function neverConnected(error: unknown): boolean {
  return (
    isServiceError(error) &&
    error.code === grpc.status.UNAVAILABLE &&
    /No connection established|ECONNREFUSED/.test(error.details)
  );
}

interface NodeClient {
  address: string;
  /** The credential the worker accepts from us (it changes when the worker restarts). */
  secret: string;
  client: ExecutionServiceClient;
  /** false once the worker answered UNIMPLEMENTED to Dispatch: one Execute call per attempt. */
  dispatch: boolean;
  /** The node's open Dispatch stream, opened by the first attempt that needs it. */
  stream: DispatchStream | null;
}

/** How the master reaches a node (diagnostics, tests). */
export interface NodeTransport {
  /** 'dispatch': one long-lived Dispatch stream; 'execute': one Execute call per attempt (the worker lacks Dispatch). */
  kind: 'dispatch' | 'execute';
  /** Dispatch streams opened to the node so far. */
  streamsOpened: number;
}

/**
 * Sends attempts to workers and turns their events into ClusterState calls.
 * One gRPC client per worker, and one long-lived Dispatch stream on it that
 * carries every attempt of the node in batches; workers that do not serve
 * Dispatch get one Execute stream per attempt. Stops the attempts ClusterState
 * cancels, and re-attaches a node's broken streams once the failure detector
 * reaches it again.
 */
export class Dispatcher implements AttemptLinks {
  readonly #clients = new Map<string, NodeClient>();
  /** The link of every attempt whose events we listen to, by attempt key. */
  readonly #links = new Map<string, AttemptLink>();
  /** Placed attempts whose record is being made durable before they are sent. */
  readonly #recording = new Set<string>();
  /** Dispatch streams opened per node, across reconnects. */
  readonly #streamsOpened = new Map<string, number>();
  readonly #cluster: ClusterState;
  readonly #options: DispatcherOptions;
  readonly #log: Logger;
  readonly #host: LinkHost;
  #stopped = false;

  constructor(options: DispatcherOptions) {
    this.#options = options;
    this.#cluster = options.cluster;
    this.#log = options.logger.child({ component: 'dispatcher' });
    const cluster = options.cluster;
    const dispatcher = this;
    this.#host = {
      get stopped() {
        return dispatcher.#stopped;
      },
      deadlines: new AnswerDeadlines(options.clock, options.dispatchTimeoutMs),
      dispatchTimeoutMs: options.dispatchTimeoutMs,
      answered: (nodeId) => {
        const node = cluster.registry.get(nodeId);
        if (node) options.breakers.success(node);
      },
      started: (ref, nodeId, startedAtMs) => cluster.attemptStarted(ref, nodeId, startedAtMs),
      output: (ref, nodeId, out) =>
        cluster.attemptOutput(ref, nodeId, {
          offset: num(out.offset),
          stream: streamFromWire(out.stream),
          data: out.data,
          timestampMs: num(out.timestampMs),
        }),
      finished: (ref, nodeId, finished) => cluster.attemptFinished(ref, nodeId, attemptResultFromWire(finished)),
      dispatchFailed: (ref, nodeId, message, error) => this.#dispatchFailed(ref, nodeId, message, error),
      suspect: (nodeId, why) => options.detector.suspect(nodeId, why),
      unlink: (link) => {
        if (this.#links.get(link.key) === link) this.#links.delete(link.key);
      },
      warnBroken: (ref, nodeId, error) =>
        this.#log.warn({ jobId: ref.jobId, attempt: ref.attempt, nodeId, error }, 'attempt stream broke'),
    };
    cluster.subscribe({ cancelled: (ref, nodeId) => this.stopAttempt(ref, nodeId) });
    options.detector.subscribe({ reachable: (node) => this.reattachNode(node) });
  }

  /** Attempts whose events the master listens to. */
  get streamCount(): number {
    return this.#links.size;
  }

  transport(nodeId: string): NodeTransport | undefined {
    const entry = this.#clients.get(nodeId);
    return (
      entry && { kind: entry.dispatch ? 'dispatch' : 'execute', streamsOpened: this.#streamsOpened.get(nodeId) ?? 0 }
    );
  }

  /**
   * Whether the master listens to the attempt's events, or is about to send
   * it (its record is being made durable first): either way a worker's report
   * that does not list it yet proves nothing.
   */
  isStreaming(ref: AttemptRef): boolean {
    const key = attemptKey(ref.jobId, ref.attempt);
    return this.#links.has(key) || this.#recording.has(key);
  }

  get #epoch(): number {
    return this.#options.lease?.epoch ?? 0;
  }

  /** Sends a newly placed attempt, once its record is durable (so a restart knows it was sent). */
  execute(job: Job, attempt: Attempt, node: NodeRecord): void {
    const ref = { jobId: job.id, attempt: attempt.number };
    const key = attemptKey(ref.jobId, ref.attempt);
    // Synchronously, so a half-open breaker lets only this one through in the current pass.
    this.#options.breakers.dispatched(node);
    this.#recording.add(key);
    this.#options.store.flush().then(
      () => {
        this.#recording.delete(key);
        if (this.#stopped || !this.#cluster.currentJob(ref, node.id)) {
          this.#cluster.release(ref, node.id);
          return;
        }
        this.#open(ref, node, job, 0, 'start');
      },
      (error: unknown) => {
        this.#recording.delete(key);
        this.#cluster.release(ref, node.id);
        this.#cluster.attemptLost(
          ref,
          node.id,
          'WORKER_LOST',
          `could not record the attempt: ${errorMessage(error)}`,
          true,
        );
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
   * failed. `attach` re-opens the events of an attempt the worker runs: if
   * that fails, the node is suspect, and the probe or the heartbeat timeout
   * decides the attempt's fate.
   */
  #open(ref: AttemptRef, node: NodeRecord, job: Job, fromOffset: number, mode: LinkMode): void {
    const key = attemptKey(ref.jobId, ref.attempt);
    const lease = this.#options.lease;
    if (lease && !lease.holds()) {
      // Paused or cut off past the lease: another master may lead by now. Its workers would refuse anyway.
      lease.lost('the lease lapsed before a dispatch');
      return;
    }
    const link = new AttemptLink(this.#host, ref, node.id, mode, key);
    this.#links.set(key, link);
    const request: wire.ExecuteRequest = {
      jobId: ref.jobId,
      attempt: ref.attempt,
      spec: specToWire(job.spec),
      fromOffset,
      outputLimitBytes: this.#options.outputLimitBytes,
      killGraceMs: this.#options.killGraceMs,
      masterEpoch: this.#epoch,
    };
    const entry = this.#client(node);
    if (entry.dispatch) this.#stream(node.id, entry).send(request, link);
    else this.#executeCall(entry.client, request, link);
  }

  #stream(nodeId: string, entry: NodeClient): DispatchStream {
    if (entry.stream && !entry.stream.closed) return entry.stream;
    const stream = new DispatchStream({
      client: entry.client,
      epoch: this.#epoch,
      durable: () => this.#options.store.whenDurable(),
      closed: (closed) => {
        if (entry.stream === closed) entry.stream = null;
      },
      unimplemented: (_stream, pending) => {
        // Another implementation of the worker: the attempts never reached it.
        entry.dispatch = false;
        for (const [request, link] of pending)
          if (!link.done && !this.#stopped) this.#executeCall(entry.client, request, link);
      },
    });
    entry.stream = stream;
    this.#streamsOpened.set(nodeId, (this.#streamsOpened.get(nodeId) ?? 0) + 1);
    return stream;
  }

  /** One Execute call for the attempt, for workers that do not serve Dispatch. */
  #executeCall(client: ExecutionServiceClient, request: wire.ExecuteRequest, link: AttemptLink): void {
    // A new attempt to a dead worker should fail at once; an attach may wait out a reconnect.
    const call = client.Execute(request, new grpc.Metadata({ waitForReady: link.mode === 'attach' }));
    link.bind({ detach: () => call.cancel() });
    call.on('data', (event: wire.ExecuteEvent__Output) => link.event(event));
    call.on('error', (error: unknown) => link.end(error));
    call.on('end', () => link.end(null));
  }

  /**
   * The attempt did not get going on its node. It costs no retry when it
   * surely never ran there (the worker declined it, or no connection could be
   * made); otherwise (no answer in time, connection dropped) it may have
   * started, so it counts, and the node is told to kill it in case it did.
   */
  #dispatchFailed(ref: AttemptRef, nodeId: string, reported: string, error: unknown): void {
    const tls = this.#options.tls ?? null;
    const address = this.#cluster.registry.get(nodeId)?.address ?? '';
    const failure = isServiceError(error)
      ? describeTlsFailure(error.details, { peer: `worker ${nodeId} at ${address}`, secure: tls !== null })
      : null;
    // A plaintext connection closed early is a worker going away far more often than a TLS port.
    const message = failure && (tls !== null || !failure.closed) ? failure.message : reported;
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
    if (!declined) this.#options.detector.suspect(nodeId, message);
  }

  /** Kills the attempt on its node. Failures are logged; the next heartbeat reconciles. */
  stopAttempt(ref: AttemptRef, nodeId: string): void {
    const node = this.#cluster.registry.get(nodeId);
    if (!node || !node.address || this.#stopped) return;
    const deadline = new Date(this.#options.clock.now() + this.#options.callTimeoutMs);
    this.#client(node).client.Cancel(
      { jobId: ref.jobId, attempt: ref.attempt, forget: false, masterEpoch: this.#epoch },
      { deadline },
      (error) => {
        if (error)
          this.#log.warn(
            { jobId: ref.jobId, attempt: ref.attempt, nodeId, error: error.details },
            'cancel did not reach the worker',
          );
      },
    );
  }

  nodeRegistered(nodeId: string): void {
    this.#options.breakers.nodeRegistered(nodeId);
    // A worker restarted on the same address finds our channel still backing
    // off from its crash: calls would fail fast until the backoff ends, and
    // trip the breaker on a healthy node. Dial it afresh instead.
    const entry = this.#clients.get(nodeId);
    if (entry?.client.getChannel().getConnectivityState(false) === grpc.connectivityState.TRANSIENT_FAILURE) {
      this.#clients.delete(nodeId);
      entry.client.close();
    } else if (entry) {
      // It may have restarted as a worker that serves Dispatch.
      entry.dispatch = true;
    }
  }

  forgetNode(nodeId: string): void {
    this.#options.breakers.forget(nodeId);
    this.#streamsOpened.delete(nodeId);
    const entry = this.#clients.get(nodeId);
    if (!entry) return;
    this.#clients.delete(nodeId);
    entry.client.close();
  }

  #client(node: NodeRecord): NodeClient {
    const entry = this.#clients.get(node.id);
    if (entry && entry.address === node.address && entry.secret === node.executionSecret) return entry;
    entry?.client.close();
    // The worker serves only the master it registered with: we present what it handed us then.
    const tls = this.#options.tls ?? null;
    const client = new v1.ExecutionService(
      node.address,
      createChannelCredentials(tls, node.address),
      withBearerToken(withTls(CHANNEL_OPTIONS, tls, node.address), node.executionSecret),
    );
    const fresh: NodeClient = {
      address: node.address,
      secret: node.executionSecret,
      client,
      dispatch: true,
      stream: null,
    };
    this.#clients.set(node.id, fresh);
    return fresh;
  }

  stop(): void {
    this.#stopped = true;
    this.#host.deadlines.stop();
    this.#options.breakers.stop();
    for (const link of this.#links.values()) link.cancel();
    this.#links.clear();
    for (const { client, stream } of this.#clients.values()) {
      stream?.cancel();
      client.close();
    }
    this.#clients.clear();
  }
}
