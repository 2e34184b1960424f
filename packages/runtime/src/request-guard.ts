import type * as grpc from '@grpc/grpc-js';
import { errorMessage, InvalidArgumentError } from '@dist-exec/core';
import { toServiceError } from '@dist-exec/proto';

/**
 * Requests whose bytes are not the message their method takes end with
 * INVALID_ARGUMENT, on every method of a server (unary, server streams,
 * request streams; health and reflection too).
 *
 * grpc-js decodes a request before any handler runs and answers a decoder
 * that throws with INTERNAL ("Error deserializing request"), which says the
 * server is broken when it is the client's bytes that are. So each method's
 * decoder is wrapped to return a stand-in that carries why instead of
 * throwing, and each handler is wrapped to end the call with that reason
 * before the real handler could mistake the stand-in for a request.
 */

const UNDECODABLE = Symbol('undecodable');

interface Undecodable {
  readonly [UNDECODABLE]: string;
}

/** Why the request did not decode, or null when it did. */
function undecodable(request: unknown): string | null {
  return typeof request === 'object' && request !== null && UNDECODABLE in request
    ? (request as Undecodable)[UNDECODABLE]
    : null;
}

function refusal(reason: string): Partial<grpc.ServiceError> {
  return toServiceError(new InvalidArgumentError(reason));
}

type AnyHandler = (call: never, callback?: never) => void;
type Callback = (error: Partial<grpc.ServiceError> | null, value?: unknown) => void;

interface GuardedCall {
  request?: unknown;
  push?(chunk: unknown, encoding?: BufferEncoding): boolean;
  emit(event: 'error', error: Partial<grpc.ServiceError>): boolean;
}

function guardHandler(handler: AnyHandler, method: grpc.MethodDefinition<unknown, unknown>): AnyHandler {
  if (!method.requestStream) {
    return ((call: GuardedCall, callback?: Callback) => {
      const reason = undecodable(call.request);
      if (!reason) (handler as (call: GuardedCall, callback?: Callback) => void)(call, callback);
      else if (callback) callback(refusal(reason), null);
      else call.emit('error', refusal(reason));
    }) as AnyHandler;
  }
  // Requests come one by one through the stream's push: the first that did not decode ends the call.
  return ((call: GuardedCall, callback?: Callback) => {
    const push = call.push?.bind(call);
    let refused = false;
    call.push = (chunk: unknown, encoding?: BufferEncoding): boolean => {
      if (refused) return false;
      const reason = undecodable(chunk);
      if (!reason) return push ? push(chunk, encoding) : false;
      refused = true;
      if (callback) callback(refusal(reason), null);
      else call.emit('error', refusal(reason));
      return false;
    };
    (handler as (call: GuardedCall, callback?: Callback) => void)(call, callback);
  }) as AnyHandler;
}

/** The service and its implementation with every request's decoding guarded (see above). */
export function guardRequests(
  service: grpc.ServiceDefinition,
  implementation: grpc.UntypedServiceImplementation,
): { service: grpc.ServiceDefinition; implementation: grpc.UntypedServiceImplementation } {
  const guardedService: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  const guardedImplementation: Record<string, AnyHandler> = {};
  for (const [key, method] of Object.entries(service)) {
    const decode = method.requestDeserialize;
    const path = method.path.replace(/^\//, '');
    guardedService[key] = {
      ...method,
      requestDeserialize: (bytes: Buffer): unknown => {
        try {
          return decode(bytes);
        } catch (error) {
          const reason = `the request to ${path} is not a message it takes (${errorMessage(error)}); send the request message its .proto defines`;
          return { [UNDECODABLE]: reason } satisfies Undecodable;
        }
      },
    };
    // grpc-js finds a handler by the method's key, or else by its original (lowerCamel) name.
    const original = (method as { originalName?: string }).originalName;
    const handler = (implementation[key] ?? (original ? implementation[original] : undefined)) as
      AnyHandler | undefined;
    if (handler) guardedImplementation[key] = guardHandler(handler, method);
  }
  return {
    service: guardedService as grpc.ServiceDefinition,
    implementation: guardedImplementation as unknown as grpc.UntypedServiceImplementation,
  };
}
