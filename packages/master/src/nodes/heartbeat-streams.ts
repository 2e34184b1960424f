import type * as grpc from '@grpc/grpc-js';
import { isDistExecError, UnavailableError } from '@dist-exec/core';
import { toServiceError, type wire } from '@dist-exec/proto';
import type { InternalErrorReporter } from '@dist-exec/runtime';

export type HeartbeatCall = grpc.ServerDuplexStream<wire.HeartbeatRequest__Output, wire.HeartbeatResponse>;

/** What the unary Heartbeat answers, for one request. */
export type AnswerHeartbeat = (request: wire.HeartbeatRequest__Output) => Promise<wire.HeartbeatResponse>;

/**
 * The master's end of the workers' heartbeat streams (NodeService.Heartbeats).
 * A heartbeat on an open stream costs the master a message instead of a call
 * (HTTP/2 stream, headers, trailers): about a fifth of the CPU. Each request
 * is answered in order, exactly as the unary Heartbeat answers it; an error
 * ends the stream with its status, as it would fail the call. Streams end
 * when the master stops, so a graceful shutdown does not wait on them.
 */
export class HeartbeatStreams {
  readonly #answer: AnswerHeartbeat;
  readonly #onInternalError: InternalErrorReporter;
  readonly #open = new Set<HeartbeatCall>();
  #closed = false;

  constructor(answer: AnswerHeartbeat, onInternalError: InternalErrorReporter) {
    this.#answer = answer;
    this.#onInternalError = onInternalError;
  }

  get openCount(): number {
    return this.#open.size;
  }

  /** The gRPC handler. */
  readonly handle = (call: HeartbeatCall): void => {
    if (this.#closed) {
      call.emit('error', toServiceError(new UnavailableError('the master is shutting down')));
      return;
    }
    this.#open.add(call);
    let answered: Promise<void> = Promise.resolve();
    let failed = false;
    const forget = (): void => {
      this.#open.delete(call);
    };
    call.on('data', (request: wire.HeartbeatRequest__Output) => {
      answered = answered.then(async () => {
        if (failed || call.cancelled) return;
        try {
          const response = await this.#answer(request);
          if (!call.cancelled && this.#open.has(call)) call.write(response);
        } catch (error) {
          failed = true;
          forget();
          if (!isDistExecError(error)) this.#onInternalError(error, 'Heartbeats');
          call.emit('error', toServiceError(error));
        }
      });
    });
    // The worker half-closed: answer what it sent, then end ours.
    call.on('end', () => {
      void answered.then(() => {
        if (!this.#open.has(call)) return;
        forget();
        call.end();
      });
    });
    call.on('cancelled', forget);
    call.on('error', forget);
  };

  /** Ends every stream (the workers open new ones, or find the master gone) and refuses new ones. Idempotent. */
  close(): void {
    this.#closed = true;
    for (const call of [...this.#open]) {
      this.#open.delete(call);
      call.end();
    }
  }
}
