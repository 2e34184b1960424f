/**
 * The SDK's channel to the master, made so that no call waits forever and a
 * wrong address gets an error that names the problem:
 *
 * - Every call and stream first waits for the connection, at most
 *   `connectTimeoutMs`: a peer that accepts TCP but never speaks HTTP/2 (a
 *   stopped process, a port of something else) would otherwise hold a stream
 *   open forever, as grpc-js keeps such a channel CONNECTING.
 * - Keepalive pings, at intervals derived from the same timeout, notice a
 *   master gone silent under an open stream (a long watch sends nothing for
 *   as long as the job prints nothing).
 * - An error is explained: a plain HTTP port, a dist-exec worker, another
 *   gRPC service, a refused connection, a silent peer, a TLS handshake that
 *   failed (and why: see describeTlsFailure).
 */
import * as grpc from '@grpc/grpc-js';
import { DeadlineExceededError, FailedPreconditionError, UnavailableError, type DistExecError } from '@dist-exec/core';
import { CHANNEL_OPTIONS, describeTlsFailure, fromServiceError, isServiceError } from '@dist-exec/proto';
import protobuf from 'protobufjs/minimal.js';

/** How grpc-js words a connection that failed or dropped (a master's own UNAVAILABLE starts otherwise). */
const TRANSPORT_FAILURE =
  /^(No connection established|Connection dropped|Failed to connect|read E[A-Z]+|write E[A-Z]+|connect E[A-Z]+|socket hang up|Client network socket|Name resolution failed|.*(keepalive|GOAWAY|RST_STREAM))/i;

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** Servers of ours refuse pings more often than this (grpc.http2.min_ping_interval_without_data_ms). */
const MIN_KEEPALIVE_TIME_MS = 5000;

/**
 * Channel options whose keepalive notices a silent peer within about
 * `connectTimeoutMs` (a ping every half of it, answered within the other half),
 * never pinging more often than servers allow.
 */
export function channelOptionsFor(connectTimeoutMs: number): grpc.ChannelOptions {
  const half = Math.max(1000, Math.floor(connectTimeoutMs / 2));
  return {
    ...CHANNEL_OPTIONS,
    'grpc.keepalive_time_ms': Math.max(MIN_KEEPALIVE_TIME_MS, half),
    'grpc.keepalive_timeout_ms': half,
    'grpc.keepalive_permit_without_calls': 1,
  };
}

const SERVING_STATUS = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];

/** grpc.health.v1.Health/Check with a hand-encoded request and answer (one string, one enum). */
const HEALTH_CHECK = {
  path: '/grpc.health.v1.Health/Check',
  serialize: (service: string): Buffer =>
    Buffer.from(
      protobuf.Writer.create()
        .uint32((1 << 3) | 2)
        .string(service)
        .finish(),
    ),
  deserialize: (bytes: Buffer): string => {
    const reader = protobuf.Reader.create(bytes);
    let status = 0;
    while (reader.pos < reader.len) {
      const tag = reader.uint32();
      if (tag === 1 << 3) status = reader.int32();
      else reader.skipType(tag & 7);
    }
    return SERVING_STATUS[status] ?? 'UNKNOWN';
  },
};

const seconds = (ms: number): string => `${Math.round(ms / 100) / 10}s`;

export class Connection {
  readonly #address: string;
  readonly #channel: grpc.ChannelInterface;
  readonly #connectTimeoutMs: number;
  readonly #service: string;
  readonly #secure: boolean;
  /** The channel has been READY once: from then on a silent peer is a master gone quiet, worth waiting for. */
  #connected = false;

  /**
   * `service`: the full name of what the calls ask for, e.g. distexec.v1.JobService.
   * `secure`: whether the channel dials with TLS.
   */
  constructor(
    address: string,
    channel: grpc.ChannelInterface,
    connectTimeoutMs: number,
    service: string,
    secure = false,
  ) {
    this.#address = address;
    this.#secure = secure;
    this.#channel = channel;
    this.#connectTimeoutMs = connectTimeoutMs;
    this.#service = service;
  }

  /**
   * Resolves once the channel is connected, at once when it is. A channel
   * that cannot connect (refused, no such host) is left to fail the call at
   * once with its cause; one still CONNECTING after connectTimeoutMs means the
   * peer took the connection but says nothing: FAILED_PRECONDITION when it
   * never answered (most likely not a master: trying again will not help),
   * UNAVAILABLE when it did before (a master gone quiet, which may come back).
   */
  async ready(): Promise<void> {
    let state = this.#channel.getConnectivityState(true);
    if (state === grpc.connectivityState.READY) {
      this.#connected = true;
      return;
    }
    const deadline = Date.now() + this.#connectTimeoutMs;
    while (state !== grpc.connectivityState.READY) {
      if (state === grpc.connectivityState.TRANSIENT_FAILURE || state === grpc.connectivityState.SHUTDOWN) return;
      const changed = await new Promise<boolean>((resolve) =>
        this.#channel.watchConnectivityState(state, deadline, (error) => resolve(!error)),
      );
      if (!changed) {
        const message =
          `${this.#address} sent nothing within ${seconds(this.#connectTimeoutMs)} of connecting: ` +
          'is the master stopped or hung, or is this port not a gRPC server?';
        throw this.#connected ? new UnavailableError(message) : new FailedPreconditionError(message);
      }
      state = this.#channel.getConnectivityState(true);
    }
    this.#connected = true;
  }

  /** A failed call's error, as one line that names the problem. */
  async explain(error: unknown): Promise<DistExecError> {
    if (!isServiceError(error)) return fromServiceError(error);
    const message = error.details || error.message;
    if (/Protocol error|Received HTTP status code|HTTP\/1|Unexpected HTTP/.test(message)) {
      // Not worth trying again: the address is wrong, not the master away.
      return new FailedPreconditionError(
        `${this.#address} is not a gRPC server (is this the master's --http-port? the gRPC port is its --port, 50051 by default)`,
        { cause: error },
      );
    }
    // Only grpc-js's own account of a failed connection says anything about reaching the master: a master's
    // refusal may quote a cause of its own (its database's `connect ECONNREFUSED` or `read ECONNRESET`).
    if (error.code === grpc.status.UNAVAILABLE && TRANSPORT_FAILURE.test(message)) {
      const tls = describeTlsFailure(message, { peer: `the master at ${this.#address}`, secure: this.#secure });
      // A refused certificate stays refused: only a connection closed mid-handshake is worth another try.
      if (tls)
        return tls.closed
          ? new UnavailableError(tls.message, { cause: error })
          : new FailedPreconditionError(tls.message, { cause: error });
      const cause = /(connect E[A-Z]+[^)]*?|getaddrinfo E[A-Z]+ [^\s.)]+)(?:\s|\(|$)/.exec(message)?.[1]?.trim();
      if (cause)
        return new UnavailableError(`cannot reach the master at ${this.#address} (${cause})`, { cause: error });
      if (/Connection dropped|keepalive|GOAWAY|RST_STREAM/i.test(message)) {
        return new UnavailableError(
          `lost the connection to the master at ${this.#address} (it went away, or stopped answering keepalive pings)`,
          { cause: error },
        );
      }
    }
    if (error.code === grpc.status.DEADLINE_EXCEEDED) {
      return new DeadlineExceededError(`the master at ${this.#address} did not answer in time`, { cause: error });
    }
    if (error.code === grpc.status.UNIMPLEMENTED) {
      const wrong = await this.#whoIsThere();
      if (wrong) return new FailedPreconditionError(wrong, { cause: error });
    }
    return fromServiceError(error);
  }

  /** Why a server answers UNIMPLEMENTED, when it is not a master (null when it is one, of another version). */
  async #whoIsThere(): Promise<string | null> {
    // On the same channel. Not closed: closing a client closes its channel, which the caller's clients share.
    const health = new grpc.Client(this.#address, grpc.credentials.createInsecure(), {
      channelOverride: this.#channel,
    });
    const check = (service: string): Promise<string | null> =>
      new Promise((resolve) => {
        health.makeUnaryRequest(
          HEALTH_CHECK.path,
          HEALTH_CHECK.serialize,
          HEALTH_CHECK.deserialize,
          service,
          new grpc.Metadata(),
          { deadline: Date.now() + this.#connectTimeoutMs },
          (error, status) => resolve(error ? null : (status ?? null)),
        );
      });
    if (await check(this.#service)) return null;
    if (await check('distexec.v1.ExecutionService'))
      return `${this.#address} is a dist-exec worker, not a master: give the master's address (the one the workers' --master names)`;
    return `the server at ${this.#address} does not serve ${this.#service}: is it the dist-exec master's gRPC address?`;
  }
}
