export {
  DistExecClient,
  DEFAULT_MASTER_ADDRESS,
  DEFAULT_CALL_TIMEOUT_MS,
  type ClientOptions,
  type JobPage,
  type ListJobsOptions,
  type RunEvent,
  type RunOptions,
  type SubmitResult,
  type WatchOptions,
} from './client.js';
export { withRetry, type RetryOptions } from './retry.js';
export { DEFAULT_CONNECT_TIMEOUT_MS } from './connection.js';
export {
  CancelledError,
  DeadlineExceededError,
  DistExecError,
  FailedPreconditionError,
  InternalError,
  InvalidArgumentError,
  NotFoundError,
  ResourceExhaustedError,
  UnavailableError,
  type ErrorCode,
} from '@dist-exec/core';
export { AlreadyExistsError, PermissionDeniedError, UnauthenticatedError } from '@dist-exec/core';
export type {
  JobEvent,
  JobSpecInput,
  JobState,
  JobView,
  NodeInfo,
  OutputChunk,
  FailureReason,
  TokenInfo,
  TokenRole,
} from '@dist-exec/core';
