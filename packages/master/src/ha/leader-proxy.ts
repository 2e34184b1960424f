import * as grpc from '@grpc/grpc-js';
import {
  AUTHORIZATION_KEY,
  CHANNEL_OPTIONS,
  createChannelCredentials,
  LEADER_ADDRESS_METADATA,
} from '@dist-exec/proto';

/** Calls a follower never forwards: a worker must register and heartbeat with the leader itself. */
const WORKER_CALLS = new Set(['Register', 'Heartbeat', 'Heartbeats', 'Deregister']);

const raw = (bytes: Buffer): Buffer => bytes;

/**
 * A follower's API: every call (but a worker's own) is forwarded, as bytes,
 * to the leader, with the caller's token, deadline and cancellation; the
 * leader checks the token and answers, and its answer (or error) comes back
 * unchanged. So any master serves submissions, reads, watches and what only
 * the leader may do (cancel, drain). While no master leads, and for a
 * worker's registration and heartbeats, the answer is UNAVAILABLE naming the
 * leader (the `dist-exec-leader` trailer), which the SDK and workers follow.
 */
export class LeaderProxy {
  readonly #leader: () => string;
  #client: grpc.Client | null = null;
  #clientAddress = '';

  /** `leader`: the leader's gRPC address now ('' while nobody leads). */
  constructor(leader: () => string) {
    this.#leader = leader;
  }

  /** A service whose methods forward to the leader, as grpc-js takes it: definition and handlers, bytes in and out. */
  service(definition: grpc.ServiceDefinition): {
    definition: grpc.ServiceDefinition;
    handlers: grpc.UntypedServiceImplementation;
  } {
    const rawDefinition: Record<string, grpc.MethodDefinition<Buffer, Buffer>> = {};
    const handlers: grpc.UntypedServiceImplementation = {};
    for (const [name, method] of Object.entries(definition)) {
      rawDefinition[name] = {
        ...method,
        requestSerialize: raw,
        requestDeserialize: raw,
        responseSerialize: raw,
        responseDeserialize: raw,
      } as grpc.MethodDefinition<Buffer, Buffer>;
      const forward = !WORKER_CALLS.has(name);
      if (method.requestStream)
        handlers[name] = (call: grpc.ServerDuplexStream<Buffer, Buffer>) => call.emit('error', this.#refusal(true));
      else if (method.responseStream)
        handlers[name] = (call: grpc.ServerWritableStream<Buffer, Buffer>) =>
          forward ? this.#stream(method.path, call) : call.emit('error', this.#refusal(true));
      else
        handlers[name] = (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) =>
          forward ? this.#unary(method.path, call, callback) : callback(this.#refusal(true), null);
    }
    return { definition: rawDefinition as grpc.ServiceDefinition, handlers };
  }

  /** UNAVAILABLE naming the leader (or saying none leads yet). */
  #refusal(workerCall: boolean): Partial<grpc.StatusObject> {
    const leader = this.#leader();
    const metadata = new grpc.Metadata();
    if (leader) metadata.set(LEADER_ADDRESS_METADATA, leader);
    const details = !leader
      ? 'this master is a follower and no master leads yet; try again in a moment'
      : workerCall
        ? `this master is a follower; the leader is at ${leader}`
        : `this master is a follower and could not reach the leader at ${leader}`;
    return { code: grpc.status.UNAVAILABLE, details, metadata };
  }

  #upstream(): grpc.Client | null {
    const leader = this.#leader();
    if (!leader) return null;
    if (this.#client && this.#clientAddress === leader) return this.#client;
    this.#client?.close();
    this.#client = new grpc.Client(leader, createChannelCredentials(), CHANNEL_OPTIONS);
    this.#clientAddress = leader;
    return this.#client;
  }

  /** The caller's token goes along; the leader decides. */
  #metadata(call: { metadata: grpc.Metadata }): grpc.Metadata {
    const metadata = new grpc.Metadata();
    for (const value of call.metadata.get(AUTHORIZATION_KEY)) metadata.add(AUTHORIZATION_KEY, value);
    return metadata;
  }

  #options(call: { getDeadline(): grpc.Deadline }): grpc.CallOptions {
    const deadline = call.getDeadline();
    return deadline === Infinity ? {} : { deadline };
  }

  /** The leader's error as the caller's; one it could not be reached with names it. */
  #error(error: grpc.ServiceError): Partial<grpc.StatusObject> {
    if (error.code === grpc.status.UNAVAILABLE && !error.metadata?.get(LEADER_ADDRESS_METADATA).length)
      return this.#refusal(false);
    return { code: error.code, details: error.details, metadata: error.metadata };
  }

  #unary(path: string, call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>): void {
    const client = this.#upstream();
    if (!client) {
      callback(this.#refusal(false), null);
      return;
    }
    const upstream = client.makeUnaryRequest(
      path,
      raw,
      raw,
      call.request,
      this.#metadata(call),
      this.#options(call),
      (error, answer) => (error ? callback(this.#error(error), null) : callback(null, answer)),
    );
    call.on('cancelled', () => upstream.cancel());
  }

  #stream(path: string, call: grpc.ServerWritableStream<Buffer, Buffer>): void {
    const client = this.#upstream();
    if (!client) {
      call.emit('error', this.#refusal(false));
      return;
    }
    const upstream = client.makeServerStreamRequest(
      path,
      raw,
      raw,
      call.request,
      this.#metadata(call),
      this.#options(call),
    );
    let over = false;
    upstream.on('data', (message: Buffer) => {
      // The caller reads slower than the leader writes: hold the leader back.
      if (!call.write(message)) upstream.pause();
    });
    call.on('drain', () => upstream.resume());
    upstream.on('error', (error: grpc.ServiceError) => {
      if (over) return;
      over = true;
      call.emit('error', this.#error(error));
    });
    upstream.on('end', () => {
      if (over) return;
      over = true;
      call.end();
    });
    call.on('cancelled', () => {
      over = true;
      upstream.cancel();
    });
  }

  close(): void {
    this.#client?.close();
    this.#client = null;
  }
}
