import { status, Metadata, type ServiceError } from '@grpc/grpc-js';
import { errorForCode, errorMessage, isDistExecError, type DistExecError, type ErrorCode } from '@dist-exec/core';

/** The one table between our error codes and gRPC status codes, used by servers and clients. */
const TO_GRPC: Record<ErrorCode, status> = {
  INVALID_ARGUMENT: status.INVALID_ARGUMENT,
  NOT_FOUND: status.NOT_FOUND,
  FAILED_PRECONDITION: status.FAILED_PRECONDITION,
  RESOURCE_EXHAUSTED: status.RESOURCE_EXHAUSTED,
  UNAVAILABLE: status.UNAVAILABLE,
  DEADLINE_EXCEEDED: status.DEADLINE_EXCEEDED,
  CANCELLED: status.CANCELLED,
  INTERNAL: status.INTERNAL,
  UNAUTHENTICATED: status.UNAUTHENTICATED,
  PERMISSION_DENIED: status.PERMISSION_DENIED,
  ALREADY_EXISTS: status.ALREADY_EXISTS,
};

const FROM_GRPC = new Map<status, ErrorCode>([
  ...Object.entries(TO_GRPC).map(([code, grpcStatus]) => [grpcStatus, code as ErrorCode] as const),
  // Statuses we never send ourselves, but a proxy or another server might.
  [status.UNKNOWN, 'INTERNAL'],
  [status.DATA_LOSS, 'INTERNAL'],
  [status.ABORTED, 'UNAVAILABLE'],
  [status.OUT_OF_RANGE, 'INVALID_ARGUMENT'],
  [status.UNIMPLEMENTED, 'FAILED_PRECONDITION'],
]);

export function grpcStatusFor(code: ErrorCode): status {
  return TO_GRPC[code];
}

/**
 * The error a server sends for anything thrown by a handler. Our own errors
 * keep their code and message; anything else becomes INTERNAL with a generic
 * message, so no stack trace or internal detail reaches a client.
 */
export function toServiceError(error: unknown): Partial<ServiceError> {
  if (isDistExecError(error)) {
    return { code: TO_GRPC[error.code], details: error.message, metadata: new Metadata() };
  }
  return { code: status.INTERNAL, details: 'internal error; see the server log', metadata: new Metadata() };
}

export function isServiceError(error: unknown): error is ServiceError {
  return (
    typeof error === 'object' &&
    error !== null &&
    'code' in error &&
    typeof (error as { code: unknown }).code === 'number' &&
    'details' in error
  );
}

/** Turns a gRPC error received by a client into our typed error class. */
export function fromServiceError(error: unknown): DistExecError {
  if (isDistExecError(error)) return error;
  if (isServiceError(error)) {
    const code = FROM_GRPC.get(error.code) ?? 'INTERNAL';
    return errorForCode(code, error.details || error.message, { cause: error });
  }
  return errorForCode('INTERNAL', errorMessage(error), { cause: error });
}
