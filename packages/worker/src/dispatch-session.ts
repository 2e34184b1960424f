import * as grpc from '@grpc/grpc-js';
import { attemptKey, isDistExecError, type AttemptRef } from '@dist-exec/core';
import {
  attemptRefsFromWire,
  attemptResultToWire,
  num,
  streamToWire,
  toServiceError,
  trustedSpecFromWire,
  type wire,
} from '@dist-exec/proto';
import type { MasterEpoch } from './master-epoch.js';
import type { AttemptSink, TaskRunner } from './runner.js';

export type DispatchCall = grpc.ServerDuplexStream<wire.DispatchRequest__Output, wire.DispatchResponse>;

/** Events in one DispatchResponse at most; the rest go in the next. */
const MAX_EVENTS_PER_MESSAGE = 4096;
/**
 * How long an `accepted` or `started` may wait for company. Most short tasks
 * end within it, and their `finished` (which carries the start) is then the
 * only event the master handles; the master and its watchers see RUNNING at
 * most this much later for longer ones. Ends, output and refusals go at once.
 */
const HOLD_MS = 2;
/** Output bytes in one DispatchResponse at most (messages may be 16 MiB). */
const MAX_OUTPUT_BYTES_PER_MESSAGE = 1024 * 1024;

/** One attempt on this stream: the runner's sink for it, and how to take it off. */
interface Attachment {
  detach: () => void;
  over: boolean;
  /** Where its `accepted` waits in the unsent queue, until its first event takes that place. */
  acceptedIn: Queued[] | null;
  acceptedAt: number;
  /** Where its `started` waits in the unsent queue: `finished` carries the start time too, so it takes that place. */
  startedIn: Queued[] | null;
  startedAt: number;
}

/** An unsent event, or the hole a `started` left when its `finished` came before it was sent. */
type Queued = wire.DispatchEvent | null;

const noop = (): void => {};

/**
 * The worker's end of one Dispatch stream: each request runs through the
 * same `runner.execute` as an Execute call; the events of every attempt on
 * the stream are gathered for one event-loop turn and sent together. When
 * the stream ends or breaks, its attempts only detach: they run on and keep
 * their results for reconciliation.
 */
export class DispatchSession {
  readonly #call: DispatchCall;
  readonly #runner: TaskRunner;
  readonly #onInternalError: (error: unknown) => void;
  readonly #attached = new Map<string, Attachment>();
  #queue: Queued[] = [];
  #holes = 0;
  #queuedBytes = 0;
  #scheduled = false;
  #holdTimer: NodeJS.Timeout | null = null;
  /** The transport's buffer is full: wait for 'drain' (events gather meanwhile). */
  #blocked = false;
  #closed = false;

  constructor(call: DispatchCall, runner: TaskRunner, onInternalError: (error: unknown) => void, epochs?: MasterEpoch) {
    this.#call = call;
    this.#runner = runner;
    this.#onInternalError = onInternalError;
    call.on('data', (request: wire.DispatchRequest__Output) => {
      if (epochs && !epochs.admit(num(request.masterEpoch))) {
        // A master that no longer leads: its acks and orders change nothing here.
        this.#refuseStale(request.execute, epochs.highest);
        return;
      }
      if (request.ack.length) runner.acknowledge(attemptRefsFromWire(request.ack));
      for (const execute of request.execute) this.#execute(execute);
    });
    // The master half-closed, cancelled, or the connection dropped: nothing more to say on this stream.
    call.on('end', () => this.close());
    call.on('cancelled', () => this.#detachAll());
    call.on('error', () => this.#detachAll());
    call.on('drain', () => {
      this.#blocked = false;
      this.#flush();
    });
  }

  /** Detaches every attempt and ends the stream (the worker shuts down). Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#detachAll();
    this.#call.end();
  }

  #refuseStale(requests: readonly wire.ExecuteRequest__Output[], highest: number): void {
    for (const request of requests) {
      const message = `this worker follows the master of epoch ${highest}; this master's epoch is over`;
      this.#push(
        {
          jobId: request.jobId,
          attempt: request.attempt,
          declined: { code: grpc.status.FAILED_PRECONDITION, message },
        },
        0,
      );
    }
  }

  #execute(request: wire.ExecuteRequest__Output): void {
    if (this.#closed) return;
    const jobId = request.jobId;
    const attempt = request.attempt;
    const key = attemptKey(jobId, attempt);
    // A repeated request for an attempt replaces the earlier one on this stream.
    const earlier = this.#attached.get(key);
    if (earlier) this.#takeOff(key, earlier);
    // Accepted goes before the events an attach replays at once; it becomes declined if the runner refuses.
    const attachment: Attachment = {
      detach: noop,
      over: false,
      acceptedIn: this.#queue,
      acceptedAt: this.#queue.length,
      startedIn: null,
      startedAt: 0,
    };
    this.#attached.set(key, attachment);
    this.#push({ jobId, attempt, accepted: {} }, 0, false);
    const ref: AttemptRef = { jobId, attempt };
    try {
      const detach = this.#runner.execute(
        {
          ref,
          spec: trustedSpecFromWire(request.spec),
          fromOffset: num(request.fromOffset),
          outputLimitBytes: num(request.outputLimitBytes),
          killGraceMs: request.killGraceMs,
        },
        this.#sink(key, jobId, attempt, attachment),
      );
      if (attachment.over) return;
      attachment.detach = detach;
    } catch (error) {
      if (!isDistExecError(error)) this.#onInternalError(error);
      const status = toServiceError(error);
      const declined = {
        jobId,
        attempt,
        declined: { code: status.code ?? grpc.status.INTERNAL, message: status.details ?? '' },
      };
      this.#pushFor(attachment, declined, 0);
      this.#takeOff(key, attachment);
    }
  }

  #sink(key: string, jobId: string, attempt: number, attachment: Attachment): AttemptSink {
    return {
      started: (startedAtMs, pid) => {
        if (attachment.over) return;
        attachment.startedAt = this.#pushFor(attachment, { jobId, attempt, started: { startedAtMs, pid } }, 0, false);
        attachment.startedIn = this.#queue;
      },
      output: (event) => {
        if (attachment.over) return;
        const output = {
          offset: event.offset,
          stream: streamToWire(event.stream),
          data: event.data,
          timestampMs: event.timestampMs,
        };
        this.#pushFor(attachment, { jobId, attempt, output }, event.data.length);
      },
      finished: (result) => {
        if (attachment.over) return;
        // A job that ends before its start was sent (most short ones under load) costs the master one event, not two.
        if (attachment.startedIn === this.#queue && !this.#closed) {
          this.#queue[attachment.startedAt] = null;
          this.#holes += 1;
        }
        attachment.startedIn = null;
        this.#pushFor(attachment, { jobId, attempt, finished: attemptResultToWire(result) }, 0);
        // The runner lets go of a sink once it has its result.
        this.#takeOff(key, attachment);
      },
    };
  }

  #takeOff(key: string, attachment: Attachment): void {
    attachment.over = true;
    attachment.detach();
    if (this.#attached.get(key) === attachment) this.#attached.delete(key);
  }

  #detachAll(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#holdTimer) clearTimeout(this.#holdTimer);
    this.#holdTimer = null;
    for (const [key, attachment] of [...this.#attached]) this.#takeOff(key, attachment);
    this.#queue = [];
    this.#holes = 0;
    this.#queuedBytes = 0;
  }

  /**
   * An attempt's event. Its first one replaces its `accepted` while that is
   * still unsent (any event answers just as well): most attempts start in the
   * turn they arrive, and this saves an event per attempt.
   */
  #pushFor(attachment: Attachment, event: wire.DispatchEvent, bytes: number, now = true): number {
    const queue = attachment.acceptedIn;
    attachment.acceptedIn = null;
    if (queue === this.#queue && !this.#closed) {
      queue[attachment.acceptedAt] = event;
      this.#queuedBytes += bytes;
      this.#schedule(now);
      return attachment.acceptedAt;
    }
    return this.#push(event, bytes, now);
  }

  /** Queues an event for the next message (at the end of this turn, or after HOLD_MS); answers its place in the queue. */
  #push(event: wire.DispatchEvent, bytes: number, now = true): number {
    if (this.#closed) return -1;
    const at = this.#queue.push(event) - 1;
    this.#queuedBytes += bytes;
    this.#schedule(now);
    return at;
  }

  #schedule(now: boolean): void {
    if (this.#scheduled || this.#blocked || this.#closed) return;
    if (now) {
      this.#scheduled = true;
      // One message per event-loop turn, with everything the turn produced.
      setImmediate(() => this.#flush());
    } else {
      this.#holdTimer ??= setTimeout(() => this.#flush(), HOLD_MS);
    }
  }

  #flush(): void {
    this.#scheduled = false;
    if (this.#holdTimer) clearTimeout(this.#holdTimer);
    this.#holdTimer = null;
    while (this.#queue.length > 0 && !this.#blocked && !this.#closed) {
      const events = this.#take();
      if (!this.#call.write({ events })) this.#blocked = true;
    }
  }

  /** The next message's worth of events. */
  #take(): wire.DispatchEvent[] {
    const queue = (this.#holes ? this.#queue.filter((event) => event !== null) : this.#queue) as wire.DispatchEvent[];
    this.#holes = 0;
    if (queue.length <= MAX_EVENTS_PER_MESSAGE && this.#queuedBytes <= MAX_OUTPUT_BYTES_PER_MESSAGE) {
      this.#queue = [];
      this.#queuedBytes = 0;
      return queue;
    }
    let count = 0;
    let bytes = 0;
    while (count < queue.length && count < MAX_EVENTS_PER_MESSAGE) {
      const size = queue[count]?.output?.data?.length ?? 0;
      if (count > 0 && bytes + size > MAX_OUTPUT_BYTES_PER_MESSAGE) break;
      bytes += size;
      count += 1;
    }
    this.#queuedBytes -= bytes;
    this.#queue = queue.slice(count);
    return queue.slice(0, count);
  }
}
