// Original file: proto/distexec/v1/execution_service.proto

import type { Long } from '@grpc/proto-loader';

export interface CancelAttemptRequest {
  'jobId'?: (string);
  'attempt'?: (number);
  'forget'?: (boolean);
  'masterEpoch'?: (number | string | Long);
}

export interface CancelAttemptRequest__Output {
  'jobId': (string);
  'attempt': (number);
  'forget': (boolean);
  'masterEpoch': (number);
}
