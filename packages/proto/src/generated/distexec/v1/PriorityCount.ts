// Original file: proto/distexec/v1/node_service.proto

import type { Long } from '@grpc/proto-loader';

export interface PriorityCount {
  'priority'?: (number);
  'count'?: (number | string | Long);
}

export interface PriorityCount__Output {
  'priority': (number);
  'count': (number);
}
