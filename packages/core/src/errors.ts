/**
 * One class per condition, each with a stable string `code`. The gRPC adapter
 * maps codes to gRPC status codes and back (packages/proto `status-codes.ts`),
 * so a client receives the same class the master threw.
 */
export type ErrorCode =
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'FAILED_PRECONDITION'
  | 'RESOURCE_EXHAUSTED'
  | 'UNAVAILABLE'
  | 'DEADLINE_EXCEEDED'
  | 'CANCELLED'
  | 'INTERNAL'
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED'
  | 'ALREADY_EXISTS';

export abstract class DistExecError extends Error {
  abstract readonly code: ErrorCode;
}

export class InvalidArgumentError extends DistExecError {
  readonly code = 'INVALID_ARGUMENT';
  override readonly name = 'InvalidArgumentError';
  /** The input that was wrong, e.g. `spec.timeoutMs` or `--max-tasks`. */
  readonly field: string | undefined;
  constructor(message: string, options?: ErrorOptions & { field?: string }) {
    super(message, options);
    this.field = options?.field;
  }
}

export class NotFoundError extends DistExecError {
  readonly code = 'NOT_FOUND';
  override readonly name = 'NotFoundError';
}

export class FailedPreconditionError extends DistExecError {
  readonly code = 'FAILED_PRECONDITION';
  override readonly name = 'FailedPreconditionError';
}

export class ResourceExhaustedError extends DistExecError {
  readonly code = 'RESOURCE_EXHAUSTED';
  override readonly name = 'ResourceExhaustedError';
}

export class UnavailableError extends DistExecError {
  readonly code = 'UNAVAILABLE';
  override readonly name = 'UnavailableError';
}

export class DeadlineExceededError extends DistExecError {
  readonly code = 'DEADLINE_EXCEEDED';
  override readonly name = 'DeadlineExceededError';
}

export class CancelledError extends DistExecError {
  readonly code = 'CANCELLED';
  override readonly name = 'CancelledError';
}

export class InternalError extends DistExecError {
  readonly code = 'INTERNAL';
  override readonly name = 'InternalError';
}

/** No credential, or one the server does not accept (unknown, malformed, expired, revoked). */
export class UnauthenticatedError extends DistExecError {
  readonly code = 'UNAUTHENTICATED';
  override readonly name = 'UnauthenticatedError';
}

/** A known caller whose role does not allow the call. */
export class PermissionDeniedError extends DistExecError {
  readonly code = 'PERMISSION_DENIED';
  override readonly name = 'PermissionDeniedError';
}

/** The name or id is taken (a token name, a node id another worker holds). */
export class AlreadyExistsError extends DistExecError {
  readonly code = 'ALREADY_EXISTS';
  override readonly name = 'AlreadyExistsError';
}

const ERROR_CLASSES: Record<ErrorCode, new (message: string, options?: ErrorOptions) => DistExecError> = {
  INVALID_ARGUMENT: InvalidArgumentError,
  NOT_FOUND: NotFoundError,
  FAILED_PRECONDITION: FailedPreconditionError,
  RESOURCE_EXHAUSTED: ResourceExhaustedError,
  UNAVAILABLE: UnavailableError,
  DEADLINE_EXCEEDED: DeadlineExceededError,
  CANCELLED: CancelledError,
  INTERNAL: InternalError,
  UNAUTHENTICATED: UnauthenticatedError,
  PERMISSION_DENIED: PermissionDeniedError,
  ALREADY_EXISTS: AlreadyExistsError,
};

export function errorForCode(code: ErrorCode, message: string, options?: ErrorOptions): DistExecError {
  return new ERROR_CLASSES[code](message, options);
}

export function isDistExecError(error: unknown): error is DistExecError {
  return error instanceof DistExecError;
}

/** The message of anything thrown, for logs and one-line user errors. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/**
 * How an UNAVAILABLE from a master that is up but cannot store (disk full,
 * read-only, its data dir gone) begins, so that a client tells it apart from
 * a master it cannot reach: `cannot store jobs: disk full at /data: 0 bytes free`.
 */
export const CANNOT_STORE_PREFIX = 'cannot store jobs: ';

/** Codes worth retrying the same call for: the server may answer next time. */
export const RETRYABLE_CODES: ReadonlySet<ErrorCode> = new Set(['UNAVAILABLE', 'DEADLINE_EXCEEDED']);
