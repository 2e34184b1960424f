// Original file: proto/distexec/v1/execution_service.proto

import type { JobSpec as _distexec_v1_JobSpec, JobSpec__Output as _distexec_v1_JobSpec__Output } from '../../distexec/v1/JobSpec.js';
import type { Long } from '@grpc/proto-loader';

export interface ExecuteRequest {
  'jobId'?: (string);
  'attempt'?: (number);
  'spec'?: (_distexec_v1_JobSpec | null);
  'fromOffset'?: (number | string | Long);
  'outputLimitBytes'?: (number | string | Long);
  'killGraceMs'?: (number);
  'masterEpoch'?: (number | string | Long);
}

export interface ExecuteRequest__Output {
  'jobId': (string);
  'attempt': (number);
  'spec': (_distexec_v1_JobSpec__Output | null);
  'fromOffset': (number);
  'outputLimitBytes': (number);
  'killGraceMs': (number);
  'masterEpoch': (number);
}
