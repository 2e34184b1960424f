import { status, Metadata, type ServiceError } from '@grpc/grpc-js';
import {
  errorForCode,
  errorMessage,
  InvalidArgumentError,
  isDistExecError,
  type DistExecError,
  type ErrorCode,
} from '@dist-exec/core';
import { decodeFieldViolations, encodeBadRequestStatus, STATUS_DETAILS_KEY } from './error-details.js';

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
 * A field path as the .proto names it: the domain's `spec.timeoutMs` is
 * `spec.timeout_ms` on the wire (the HTTP API keeps the JSON names).
 */
export function protoFieldPath(path: string): string {
  return path.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/**
 * The error a server sends for anything thrown by a handler. Our own errors
 * keep their code and message; anything else becomes INTERNAL with a generic
 * message, so no stack trace or internal detail reaches a client. An invalid
 * argument names its field by its .proto path, in the message and as a
 * `google.rpc.BadRequest` in the status details.
 */
export function toServiceError(error: unknown): Partial<ServiceError> {
  if (error instanceof InvalidArgumentError && error.field) {
    const field = protoFieldPath(error.field);
    const prefix = `${error.field}: `;
    const description = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
    const details = `${field}: ${description}`;
    const metadata = new Metadata();
    metadata.set(
      STATUS_DETAILS_KEY,
      encodeBadRequestStatus(status.INVALID_ARGUMENT, details, [{ field, description }]),
    );
    return { code: status.INVALID_ARGUMENT, details, metadata };
  }
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
    const message = error.details || error.message;
    if (code === 'INVALID_ARGUMENT') {
      const details = error.metadata?.get(STATUS_DETAILS_KEY)[0];
      const field = details instanceof Buffer ? decodeFieldViolations(details)[0]?.field : undefined;
      return new InvalidArgumentError(message, { cause: error, ...(field ? { field } : {}) });
    }
    return errorForCode(code, message, { cause: error });
  }
  return errorForCode('INTERNAL', errorMessage(error), { cause: error });
}
