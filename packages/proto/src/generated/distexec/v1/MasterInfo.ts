// Original file: proto/distexec/v1/node_service.proto

import type { Long } from '@grpc/proto-loader';

export interface MasterInfo {
  'id'?: (string);
  'address'?: (string);
  'leader'?: (boolean);
  'epoch'?: (number | string | Long);
  'leaderSinceMs'?: (number | string | Long);
  'leaseAgeMs'?: (number | string | Long);
}

export interface MasterInfo__Output {
  'id': (string);
  'address': (string);
  'leader': (boolean);
  'epoch': (number);
  'leaderSinceMs': (number);
  'leaseAgeMs': (number);
}
