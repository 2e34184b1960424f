// Original file: proto/distexec/v1/types.proto

import type { JobSpec as _distexec_v1_JobSpec, JobSpec__Output as _distexec_v1_JobSpec__Output } from '../../distexec/v1/JobSpec.js';
import type { JobState as _distexec_v1_JobState, JobState__Output as _distexec_v1_JobState__Output } from '../../distexec/v1/JobState.js';
import type { FailureReason as _distexec_v1_FailureReason, FailureReason__Output as _distexec_v1_FailureReason__Output } from '../../distexec/v1/FailureReason.js';
import type { Attempt as _distexec_v1_Attempt, Attempt__Output as _distexec_v1_Attempt__Output } from '../../distexec/v1/Attempt.js';
import type { HttpResult as _distexec_v1_HttpResult, HttpResult__Output as _distexec_v1_HttpResult__Output } from '../../distexec/v1/HttpResult.js';
import type { Long } from '@grpc/proto-loader';

export interface Job {
  'id'?: (string);
  'spec'?: (_distexec_v1_JobSpec | null);
  'state'?: (_distexec_v1_JobState);
  'reason'?: (_distexec_v1_FailureReason);
  'exitCode'?: (number);
  'error'?: (string);
  'workerId'?: (string);
  'attempts'?: (number);
  'createdAtMs'?: (number | string | Long);
  'startedAtMs'?: (number | string | Long);
  'finishedAtMs'?: (number | string | Long);
  'stdout'?: (Buffer | Uint8Array | string);
  'stderr'?: (Buffer | Uint8Array | string);
  'stdoutDroppedBytes'?: (number | string | Long);
  'stderrDroppedBytes'?: (number | string | Long);
  'pendingReason'?: (string);
  'attemptHistory'?: (_distexec_v1_Attempt)[];
  'httpResult'?: (_distexec_v1_HttpResult | null);
  'outputLength'?: (number | string | Long);
  'notBeforeMs'?: (number | string | Long);
  'submittedBy'?: (string);
  'cancelledBy'?: (string);
  'envNames'?: (string)[];
  '_exitCode'?: "exitCode";
}

export interface Job__Output {
  'id': (string);
  'spec': (_distexec_v1_JobSpec__Output | null);
  'state': (_distexec_v1_JobState__Output);
  'reason': (_distexec_v1_FailureReason__Output);
  'exitCode'?: (number);
  'error': (string);
  'workerId': (string);
  'attempts': (number);
  'createdAtMs': (number);
  'startedAtMs': (number);
  'finishedAtMs': (number);
  'stdout': (Buffer);
  'stderr': (Buffer);
  'stdoutDroppedBytes': (number);
  'stderrDroppedBytes': (number);
  'pendingReason': (string);
  'attemptHistory': (_distexec_v1_Attempt__Output)[];
  'httpResult': (_distexec_v1_HttpResult__Output | null);
  'outputLength': (number);
  'notBeforeMs': (number);
  'submittedBy': (string);
  'cancelledBy': (string);
  'envNames': (string)[];
  '_exitCode'?: "exitCode";
}
