import { errorMessage, isDistExecError, type ErrorCode } from '@dist-exec/core';

/** Error codes of the HTTP layer itself, besides the domain's ErrorCode. */
export type HttpErrorCode =
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'PAYLOAD_TOO_LARGE'
  | 'INVALID_ARGUMENT'
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED';

/** A request the HTTP layer refuses before it reaches the domain (bad route, body or content type). */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: number,
    readonly code: HttpErrorCode,
    message: string,
    /** Extra response headers, e.g. Allow on a 405. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** The one table from domain error codes to HTTP statuses. */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  INVALID_ARGUMENT: 400,
  NOT_FOUND: 404,
  FAILED_PRECONDITION: 409,
  RESOURCE_EXHAUSTED: 429,
  UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
  CANCELLED: 499,
  INTERNAL: 500,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  ALREADY_EXISTS: 409,
};

/** The body of every error answer: `{"error": {"code", "message"}}`. */
export interface ErrorBody {
  error: { code: string; message: string };
}

/**
 * Status and JSON body for anything a handler threw. Expected errors keep
 * their message (it says what to fix); anything else is an internal error
 * whose detail goes to the log, never to the client.
 */
export function describeHttpError(error: unknown): {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
  internal: boolean;
} {
  if (error instanceof HttpError) {
    return {
      status: error.status,
      body: { error: { code: error.code, message: error.message } },
      headers: error.headers,
      internal: false,
    };
  }
  if (isDistExecError(error) && error.code !== 'INTERNAL') {
    return {
      status: HTTP_STATUS[error.code],
      body: { error: { code: error.code, message: errorMessage(error) } },
      headers: {},
      internal: false,
    };
  }
  return {
    status: 500,
    body: { error: { code: 'INTERNAL', message: 'internal error; the master log has the details' } },
    headers: {},
    internal: true,
  };
}
