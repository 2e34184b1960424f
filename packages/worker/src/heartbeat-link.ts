import * as grpc from '@grpc/grpc-js';
import type { NodeServiceClient, wire } from '@dist-exec/proto';

type HeartbeatCall = grpc.ClientDuplexStream<wire.HeartbeatRequest, wire.HeartbeatResponse__Output>;

interface Waiting {
  resolve(response: wire.HeartbeatResponse__Output): void;
  reject(error: unknown): void;
  timer: NodeJS.Timeout;
}

/**
 * Sends the agent's heartbeats on one long-lived NodeService.Heartbeats
 * stream: a message each instead of a call each, which is most of what a
 * heartbeat costs the master. One heartbeat is outstanding at a time (the
 * agent serializes them); its answer must come within `timeoutMs`, as a
 * call's deadline. A stream that breaks, ends or times out fails the
 * heartbeat at hand, and the next one opens a new stream.
 */
export class HeartbeatLink {
  readonly #client: NodeServiceClient;
  readonly #timeoutMs: number;
  #call: HeartbeatCall | null = null;
  #waiting: Waiting | null = null;

  constructor(client: NodeServiceClient, timeoutMs: number) {
    this.#client = client;
    this.#timeoutMs = timeoutMs;
  }

  send(request: wire.HeartbeatRequest): Promise<wire.HeartbeatResponse__Output> {
    if (this.#waiting) return Promise.reject(new Error('a heartbeat is already outstanding'));
    const call = this.#open();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const error = Object.assign(new Error(`no heartbeat answer within ${this.#timeoutMs}ms`), {
          code: grpc.status.DEADLINE_EXCEEDED,
        });
        this.#drop(call, error);
      }, this.#timeoutMs);
      this.#waiting = { resolve, reject, timer };
      call.write(request);
    });
  }

  /** Ends the stream; an outstanding heartbeat fails. Idempotent. */
  close(): void {
    if (this.#call)
      this.#drop(
        this.#call,
        Object.assign(new Error('the heartbeat stream was closed'), { code: grpc.status.CANCELLED }),
      );
  }

  #open(): HeartbeatCall {
    if (this.#call) return this.#call;
    const call = this.#client.Heartbeats();
    call.on('data', (response: wire.HeartbeatResponse__Output) => {
      const waiting = this.#waiting;
      if (!waiting || this.#call !== call) return;
      this.#waiting = null;
      clearTimeout(waiting.timer);
      waiting.resolve(response);
    });
    call.on('error', (error: grpc.ServiceError) => this.#drop(call, error));
    call.on('end', () =>
      this.#drop(
        call,
        Object.assign(new Error('the master ended the heartbeat stream'), { code: grpc.status.UNAVAILABLE }),
      ),
    );
    this.#call = call;
    return call;
  }

  #drop(call: HeartbeatCall, error: unknown): void {
    if (this.#call !== call) return;
    this.#call = null;
    call.cancel();
    const waiting = this.#waiting;
    this.#waiting = null;
    if (!waiting) return;
    clearTimeout(waiting.timer);
    waiting.reject(error);
  }
}
