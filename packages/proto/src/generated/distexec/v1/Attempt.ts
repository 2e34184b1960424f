// Original file: proto/distexec/v1/types.proto

import type { FailureReason as _distexec_v1_FailureReason, FailureReason__Output as _distexec_v1_FailureReason__Output } from '../../distexec/v1/FailureReason.js';
import type { Long } from '@grpc/proto-loader';

export interface Attempt {
  'number'?: (number);
  'nodeId'?: (string);
  'dispatchedAtMs'?: (number | string | Long);
  'startedAtMs'?: (number | string | Long);
  'finishedAtMs'?: (number | string | Long);
  'reason'?: (_distexec_v1_FailureReason);
  'exitCode'?: (number);
  'error'?: (string);
  'succeeded'?: (boolean);
  'peakMemoryBytes'?: (number | string | Long);
  'cpuTimeMs'?: (number | string | Long);
  '_exitCode'?: "exitCode";
}

export interface Attempt__Output {
  'number': (number);
  'nodeId': (string);
  'dispatchedAtMs': (number);
  'startedAtMs': (number);
  'finishedAtMs': (number);
  'reason': (_distexec_v1_FailureReason__Output);
  'exitCode'?: (number);
  'error': (string);
  'succeeded': (boolean);
  'peakMemoryBytes': (number);
  'cpuTimeMs': (number);
  '_exitCode'?: "exitCode";
}
