// Original file: proto/distexec/v1/execution_service.proto

import type { Long } from '@grpc/proto-loader';

export interface AttemptStarted {
  'startedAtMs'?: (number | string | Long);
  'pid'?: (number);
}

export interface AttemptStarted__Output {
  'startedAtMs': (number);
  'pid': (number);
}
