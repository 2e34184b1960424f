import * as grpc from '@grpc/grpc-js';
import { errorMessage, type AttemptRef } from '@dist-exec/core';
import { isServiceError, num, type wire } from '@dist-exec/proto';
import type { AnswerDeadlines, AwaitingAnswer } from './answer-deadlines.js';

/** How an attempt is reached: `start` sends a new one, `attach` re-opens the events of one the worker runs. */
export type LinkMode = 'start' | 'attach';

/** The events of one attempt, whichever way they travel (an Execute stream or the node's Dispatch stream). */
export type AttemptEvent = Pick<wire.ExecuteEvent__Output, 'started' | 'output' | 'finished'>;

/** The worker answered and declined: it is alive, and it does not run the attempt. */
export const DECLINED = new Set<number>([
  grpc.status.RESOURCE_EXHAUSTED,
  grpc.status.FAILED_PRECONDITION,
  grpc.status.INVALID_ARGUMENT,
]);

/** What a link needs from the dispatcher. */
export interface LinkHost {
  readonly stopped: boolean;
  readonly deadlines: AnswerDeadlines;
  readonly dispatchTimeoutMs: number;
  /** The node answered: it is reachable. */
  answered(nodeId: string): void;
  started(ref: AttemptRef, nodeId: string, startedAtMs: number): void;
  output(ref: AttemptRef, nodeId: string, event: NonNullable<AttemptEvent['output']>): void;
  finished(ref: AttemptRef, nodeId: string, event: NonNullable<AttemptEvent['finished']>): void;
  dispatchFailed(ref: AttemptRef, nodeId: string, message: string, error: unknown): void;
  suspect(nodeId: string, why: string): void;
  /** The link is over: forget it (if it is still the attempt's link). */
  unlink(link: AttemptLink): void;
  warnBroken(ref: AttemptRef, nodeId: string, error: string): void;
}

/** What carries a link's attempt: an Execute call, or the node's Dispatch stream. */
export interface LinkTransport {
  /** Stop delivering this attempt's events (the worker detaches; the attempt runs on). */
  detach(link: AttemptLink): void;
}

const NO_TRANSPORT: LinkTransport = { detach: () => {} };

/**
 * The master's end of one attempt on one node, from the request to its
 * `finished` event or the end of its transport. Owns the dispatch timeout
 * (on the worker's first answer only: a deadline on the whole call would
 * also end a long job's stream) and decides what an early end means.
 */
export class AttemptLink implements AwaitingAnswer {
  readonly key: string;
  #answered = false;
  #finished = false;
  #abandoned = false;
  #done = false;
  #transport: LinkTransport = NO_TRANSPORT;

  constructor(
    readonly host: LinkHost,
    readonly ref: AttemptRef,
    readonly nodeId: string,
    readonly mode: LinkMode,
    key: string,
  ) {
    this.key = key;
    host.deadlines.add(this);
  }

  get answered(): boolean {
    return this.#answered;
  }

  /** Over: finished, failed or abandoned. */
  get done(): boolean {
    return this.#done;
  }

  /** The transport now carrying the attempt. */
  bind(transport: LinkTransport): void {
    this.#transport = transport;
  }

  /** Any answer from the worker about this attempt (accepted, or its first event). */
  answer(): void {
    if (this.#answered) return;
    this.#answered = true;
    this.host.deadlines.delete(this);
    this.host.answered(this.nodeId);
  }

  event(event: AttemptEvent): void {
    this.answer();
    const { host, ref, nodeId } = this;
    if (event.started) {
      host.started(ref, nodeId, num(event.started.startedAtMs));
    } else if (event.output) {
      host.output(ref, nodeId, event.output);
    } else if (event.finished) {
      this.#finished = true;
      host.finished(ref, nodeId, event.finished);
    }
  }

  /** The transport ended for this attempt: after `finished`, or early with `error` (null: ended without a result). */
  end(error: unknown): void {
    if (this.#done) return;
    this.#done = true;
    this.host.deadlines.delete(this);
    this.host.unlink(this);
    const { host, ref, nodeId } = this;
    if (this.#finished || this.#abandoned || host.stopped) return;
    if (!this.#answered && (this.mode === 'start' || (isServiceError(error) && DECLINED.has(error.code)))) {
      // An attach the worker declines means it does not have the attempt: it is lost all the same.
      host.dispatchFailed(ref, nodeId, `could not dispatch to node ${nodeId}: ${describeError(error)}`, error);
      return;
    }
    // Broken mid-attempt (network, worker killed or restarting): suspect the
    // node at once. The worker keeps the attempt and its output, so once a
    // probe reaches it the stream is re-opened; if the probe finds it gone,
    // its attempts fail now instead of at the heartbeat timeout.
    host.warnBroken(ref, nodeId, describeError(error));
    host.suspect(nodeId, `the event stream of job ${ref.jobId} attempt ${ref.attempt} broke: ${describeError(error)}`);
  }

  /** Stops listening (the master stops); the worker only detaches. */
  cancel(): void {
    this.host.deadlines.delete(this);
    this.#transport.detach(this);
  }

  timedOut(): void {
    if (this.#answered || this.#done) return;
    this.#abandoned = true;
    this.#transport.detach(this);
    this.end(null);
    const message = `node ${this.nodeId} did not answer Execute within ${this.host.dispatchTimeoutMs}ms`;
    if (this.mode === 'attach') this.host.suspect(this.nodeId, message);
    else this.host.dispatchFailed(this.ref, this.nodeId, message, null);
  }
}

/** What a worker's `declined` answer means, as the error an Execute call would have failed with. */
export function declinedError(code: number, message: string): grpc.ServiceError {
  return Object.assign(new Error(message), { code, details: message, metadata: new grpc.Metadata() });
}

export function describeError(error: unknown): string {
  if (error === null || error === undefined) return 'stream ended without a result';
  if (isServiceError(error)) return error.details || error.message;
  return errorMessage(error);
}
