import * as grpc from '@grpc/grpc-js';
import { HealthImplementation, type ServingStatus } from 'grpc-health-check';
import { errorMessage, InvalidArgumentError, isDistExecError } from '@dist-exec/core';
import { CHANNEL_OPTIONS, invalidUtf8Field, MAX_MESSAGE_BYTES, toServiceError } from '@dist-exec/proto';
import { addReflection } from './reflection.js';
import { guardRequests } from './request-guard.js';
import type { ServerTls } from './tls/tls-files.js';

/** Called when an answer cannot go out: too large for the send limit, or not encodable. */
export type SendFailureReporter = (method: string, details: string) => void;

export interface ServerKitOptions {
  /** The auth interceptor (see authInterceptor); none when authentication is off. */
  interceptors?: grpc.ServerInterceptor[];
  /**
   * Told of every answer that cannot be sent, which the client only sees as
   * RESOURCE_EXHAUSTED or INTERNAL: the master logs them.
   */
  onSendFailure?: SendFailureReporter;
}

/**
 * The service with each answer's encoding watched: grpc-js refuses an answer
 * above its send limit (or one that does not encode) deep inside the call,
 * where no interceptor sees it, so the size is looked at as it is encoded.
 */
function reportingSendFailures(service: grpc.ServiceDefinition, report: SendFailureReporter): grpc.ServiceDefinition {
  const watched: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const [key, method] of Object.entries(service)) {
    const encode = method.responseSerialize;
    watched[key] = {
      ...method,
      responseSerialize: (value: unknown) => {
        let bytes: Buffer;
        try {
          bytes = encode(value);
        } catch (error) {
          report(method.path, `the answer could not be encoded: ${errorMessage(error)}`);
          throw error;
        }
        if (bytes.length > MAX_MESSAGE_BYTES)
          report(
            method.path,
            `the answer is ${bytes.length} bytes, more than the ${MAX_MESSAGE_BYTES} a message may have`,
          );
        return bytes;
      },
    };
  }
  return watched as grpc.ServiceDefinition;
}

/**
 * A grpc-js server whose every service refuses undecodable requests with
 * INVALID_ARGUMENT (see request-guard.ts) and, with a reporter, reports the
 * answers it cannot send (see ServerKitOptions).
 */
class KitServer extends grpc.Server {
  readonly #report: SendFailureReporter | undefined;

  constructor(options: grpc.ServerOptions, report: SendFailureReporter | undefined) {
    super(options);
    this.#report = report;
  }

  override addService(service: grpc.ServiceDefinition, implementation: grpc.UntypedServiceImplementation): void {
    const guarded = guardRequests(service, implementation);
    super.addService(
      this.#report ? reportingSendFailures(guarded.service, this.#report) : guarded.service,
      guarded.implementation,
    );
  }
}

export function createServer(options: ServerKitOptions = {}): grpc.Server {
  const serverOptions: grpc.ServerOptions = {
    interceptors: options.interceptors ?? [],
    ...CHANNEL_OPTIONS,
    // A server pings each client: with a thousand workers on one master, a
    // ping every 10 ms at 10s each. Clients ping the server themselves; a
    // client gone silent is noticed here within 40s.
    'grpc.keepalive_time_ms': 30_000,
    'grpc.http2.min_ping_interval_without_data_ms': 5_000,
  };
  return new KitServer(serverOptions, options.onSendFailure);
}

/** Requests whose strings are not UTF-8 go no further (see @dist-exec/proto's strict strings). */
function checkStrings(request: unknown): void {
  const field = invalidUtf8Field(request);
  if (field) {
    throw new InvalidArgumentError(
      `${field}: not valid UTF-8; string fields must be UTF-8 text (send other bytes in a bytes field such as stdin)`,
      { field },
    );
  }
}

/** Reports handler failures that are not ours (bugs), which clients only see as INTERNAL. */
export type InternalErrorReporter = (error: unknown, method: string) => void;

/** Wraps an async handler into a grpc-js unary handler with our error mapping. */
export function unary<Req, Res>(
  method: string,
  handler: (request: Req, call: grpc.ServerUnaryCall<Req, Res>) => Promise<Res> | Res,
  onInternalError: InternalErrorReporter,
): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    Promise.resolve()
      .then(() => {
        checkStrings(call.request);
        return handler(call.request, call);
      })
      .then(
        (response) => callback(null, response),
        (error: unknown) => {
          if (!isDistExecError(error)) onInternalError(error, method);
          callback(toServiceError(error));
        },
      );
  };
}

/**
 * Wraps an async body into a grpc-js server-streaming handler with our error
 * mapping: a failure ends the call with its status.
 */
export function serverStream<Req, Res>(
  method: string,
  body: (call: grpc.ServerWritableStream<Req, Res>) => Promise<void> | void,
  onInternalError: InternalErrorReporter,
): grpc.handleServerStreamingCall<Req, Res> {
  return (call) => {
    Promise.resolve()
      .then(() => {
        checkStrings(call.request);
        return body(call);
      })
      .catch((error: unknown) => {
        if (!isDistExecError(error)) onInternalError(error, method);
        call.emit('error', toServiceError(error));
      });
  };
}

/** Server credentials: plaintext without `tls`; with `tls.clientCa`, every client must present a certificate it signed. */
export function createServerCredentials(tls: ServerTls | null = null): grpc.ServerCredentials {
  if (!tls) return grpc.ServerCredentials.createInsecure();
  return grpc.ServerCredentials.createSsl(
    tls.clientCa,
    [{ cert_chain: tls.cert, private_key: tls.key }],
    tls.clientCa !== null,
  );
}

/** Listens on `address` (plaintext, or TLS with `tls`); resolves with the bound port. */
export function bindServer(server: grpc.Server, address: string, tls: ServerTls | null = null): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, createServerCredentials(tls), (error, port) => {
      if (error) reject(error);
      else resolve(port);
    });
  });
}

/** Graceful shutdown within graceMs, then forced. Idempotent. */
export function shutdownServer(server: grpc.Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    force.unref();
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
}

/**
 * Adds standard gRPC health checking (grpc.health.v1) and server reflection
 * listing `services` (the full names of what this server serves), so grpcurl
 * and generated clients in other languages work. Returns a setter for the
 * serving status of the server ('') and of each named service.
 */
export function addHealthAndReflection(
  server: grpc.Server,
  services: readonly string[],
): (status: ServingStatus) => void {
  const health = new HealthImplementation({
    '': 'NOT_SERVING',
    ...Object.fromEntries(services.map((s) => [s, 'NOT_SERVING'])),
  });
  health.addToServer(server);
  addReflection(server, services);
  return (status) => {
    health.setStatus('', status);
    for (const service of services) health.setStatus(service, status);
  };
}
