import * as grpc from '@grpc/grpc-js';
import { attemptKey } from '@dist-exec/core';
import { isServiceError, type ExecutionServiceClient, type wire } from '@dist-exec/proto';
import { declinedError, type AttemptLink, type LinkTransport } from './attempt-link.js';

export interface DispatchStreamOptions {
  client: ExecutionServiceClient;
  /** The master's lease epoch, in every message (0: a master without leases). */
  epoch: number;
  /**
   * The worker does not serve Dispatch (UNIMPLEMENTED before any answer):
   * these attempts never reached it, so they can go another way.
   */
  unimplemented(stream: DispatchStream, pending: ReadonlyArray<readonly [wire.ExecuteRequest, AttemptLink]>): void;
  /** The stream is over; the next attempt for the node opens a new one. */
  closed(stream: DispatchStream): void;
  /**
   * Resolves once everything written to the store so far is durable (results
   * are acknowledged only then), with the store's next commit: an ack asks
   * for no sync of its own.
   */
  durable(): Promise<void>;
}

/**
 * How long durable acks wait for a DispatchRequest to ride on. Under load the
 * next dispatch to the worker leaves within the turn; one job at a time, it
 * leaves when the next job comes. Either way the worker is not woken for acks
 * alone, and it holds a finished attempt this long at most.
 */
const ACK_DELAY_MS = 20;

/** Attempts in one DispatchRequest at most; the rest go in the next. */
const MAX_REQUESTS_PER_MESSAGE = 2048;

/**
 * The master's end of one node's Dispatch stream: attempts sent in this
 * event-loop turn go out together in one message, and the worker's batched
 * events are routed to each attempt's link. When the stream ends or breaks,
 * every attempt still on it ends with the stream's error, as its own Execute
 * call would have.
 */
export class DispatchStream implements LinkTransport {
  readonly #options: DispatchStreamOptions;
  readonly #call: grpc.ClientDuplexStream<wire.DispatchRequest, wire.DispatchResponse__Output>;
  readonly #links = new Map<string, AttemptLink>();
  /** Requests sent before the worker's first message: kept in case it turns out not to serve Dispatch. */
  #unconfirmed: Array<readonly [wire.ExecuteRequest, AttemptLink]> | null = [];
  #queue: wire.ExecuteRequest[] = [];
  /** Finished attempts to acknowledge once their results are durable, and those that are. */
  #unsynced: wire.AttemptRef[] = [];
  #acks: wire.AttemptRef[] = [];
  #ackTimer: NodeJS.Timeout | null = null;
  #scheduled = false;
  #blocked = false;
  #closed = false;

  constructor(options: DispatchStreamOptions) {
    this.#options = options;
    this.#call = options.client.Dispatch();
    this.#call.on('data', (response: wire.DispatchResponse__Output) => this.#receive(response));
    this.#call.on('error', (error: unknown) => this.#close(error));
    this.#call.on('end', () => this.#close(null));
    this.#call.on('drain', () => {
      this.#blocked = false;
      this.#flush();
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Queues the request; it goes out with the others of this turn. */
  send(request: wire.ExecuteRequest, link: AttemptLink): void {
    this.#links.set(link.key, link);
    this.#unconfirmed?.push([request, link]);
    link.bind(this);
    this.#queue.push(request);
    this.#schedule();
  }

  #schedule(): void {
    if (!this.#scheduled) {
      this.#scheduled = true;
      // The scheduler's dispatches of one pass resume together once the store
      // flushes: a microtask queued by the first runs after all of them.
      queueMicrotask(() => this.#flush());
    }
  }

  /** Ends the stream; the worker detaches whatever is still on it (the master stops). */
  cancel(): void {
    this.#call.cancel();
  }

  #flush(): void {
    this.#scheduled = false;
    while ((this.#queue.length > 0 || this.#acks.length > 0) && !this.#blocked && !this.#closed) {
      let execute = this.#queue;
      if (execute.length > MAX_REQUESTS_PER_MESSAGE) {
        execute = this.#queue.slice(0, MAX_REQUESTS_PER_MESSAGE);
        this.#queue = this.#queue.slice(MAX_REQUESTS_PER_MESSAGE);
      } else {
        this.#queue = [];
      }
      const ack = this.#acks;
      this.#acks = [];
      if (this.#ackTimer) clearTimeout(this.#ackTimer);
      this.#ackTimer = null;
      // Past HTTP/2's window, wait for 'drain' and send what gathered meanwhile in fewer messages.
      if (!this.#call.write({ execute, ack, masterEpoch: this.#options.epoch })) this.#blocked = true;
    }
  }

  /** Events for the attempt are dropped from now on (a repeated request replaces it on the worker). */
  detach(link: AttemptLink): void {
    if (this.#links.get(link.key) === link) this.#links.delete(link.key);
  }

  #receive(response: wire.DispatchResponse__Output): void {
    this.#unconfirmed = null;
    for (const event of response.events) {
      const link = this.#links.get(attemptKey(event.jobId, event.attempt));
      if (!link) continue;
      if (event.declined) {
        this.#links.delete(link.key);
        link.end(declinedError(event.declined.code, event.declined.message));
      } else if (event.accepted) {
        link.answer();
      } else {
        link.event(event);
        if (event.finished) {
          this.#links.delete(link.key);
          link.end(null);
          this.#acknowledge(event.jobId, event.attempt);
        }
      }
    }
  }

  /**
   * The worker may forget the attempt once its result is durable here. The
   * results of one turn share a flush, cut when it is asked for: a result
   * that arrives later waits for the next one.
   */
  #acknowledge(jobId: string, attempt: number): void {
    this.#unsynced.push({ jobId, attempt });
    if (this.#unsynced.length > 1) return;
    setImmediate(() => {
      const refs = this.#unsynced;
      this.#unsynced = [];
      if (this.#closed) return;
      this.#options.durable().then(
        () => {
          if (this.#closed) return;
          // Not push(...refs): a long spell of results would pass more arguments than a call takes.
          this.#acks = this.#acks.length ? this.#acks.concat(refs) : refs;
          this.#ackTimer ??= setTimeout(() => {
            this.#ackTimer = null;
            this.#flush();
          }, ACK_DELAY_MS);
        },
        // Not durable: no ack; the worker keeps the results and reports them in heartbeats.
        () => {},
      );
    });
  }

  #close(error: unknown): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue = [];
    // Unsent acks are only lost time: the worker reports the results, and heartbeats acknowledge them.
    this.#acks = [];
    if (this.#ackTimer) clearTimeout(this.#ackTimer);
    this.#ackTimer = null;
    this.#options.closed(this);
    const unconfirmed = this.#unconfirmed;
    this.#unconfirmed = null;
    if (unconfirmed && unconfirmed.length > 0 && isServiceError(error) && error.code === grpc.status.UNIMPLEMENTED) {
      this.#links.clear();
      this.#options.unimplemented(this, unconfirmed);
      return;
    }
    const links = [...this.#links.values()];
    this.#links.clear();
    for (const link of links) link.end(error);
  }
}
