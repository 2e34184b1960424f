// Original file: proto/distexec/v1/job_service.proto

import type { Long } from '@grpc/proto-loader';

export interface WatchJobRequest {
  'id'?: (string);
  'fromOffset'?: (number | string | Long);
  'follow'?: (boolean);
  'noOutput'?: (boolean);
}

export interface WatchJobRequest__Output {
  'id': (string);
  'fromOffset': (number);
  'follow': (boolean);
  'noOutput': (boolean);
}
