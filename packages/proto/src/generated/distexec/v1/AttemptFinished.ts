// Original file: proto/distexec/v1/execution_service.proto

import type { FailureReason as _distexec_v1_FailureReason, FailureReason__Output as _distexec_v1_FailureReason__Output } from '../../distexec/v1/FailureReason.js';
import type { HttpResult as _distexec_v1_HttpResult, HttpResult__Output as _distexec_v1_HttpResult__Output } from '../../distexec/v1/HttpResult.js';
import type { Long } from '@grpc/proto-loader';

export interface AttemptFinished {
  'succeeded'?: (boolean);
  'reason'?: (_distexec_v1_FailureReason);
  'exitCode'?: (number);
  'error'?: (string);
  'startedAtMs'?: (number | string | Long);
  'finishedAtMs'?: (number | string | Long);
  'stdoutDroppedBytes'?: (number | string | Long);
  'stderrDroppedBytes'?: (number | string | Long);
  'httpResult'?: (_distexec_v1_HttpResult | null);
  'outputLength'?: (number | string | Long);
  'peakMemoryBytes'?: (number | string | Long);
  'cpuTimeMs'?: (number | string | Long);
  '_exitCode'?: "exitCode";
}

export interface AttemptFinished__Output {
  'succeeded': (boolean);
  'reason': (_distexec_v1_FailureReason__Output);
  'exitCode'?: (number);
  'error': (string);
  'startedAtMs': (number);
  'finishedAtMs': (number);
  'stdoutDroppedBytes': (number);
  'stderrDroppedBytes': (number);
  'httpResult': (_distexec_v1_HttpResult__Output | null);
  'outputLength': (number);
  'peakMemoryBytes': (number);
  'cpuTimeMs': (number);
  '_exitCode'?: "exitCode";
}
