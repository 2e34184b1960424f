// Original file: proto/distexec/v1/node_service.proto

import type { AttemptRef as _distexec_v1_AttemptRef, AttemptRef__Output as _distexec_v1_AttemptRef__Output } from '../../distexec/v1/AttemptRef.js';
import type { Long } from '@grpc/proto-loader';

export interface HeartbeatResponse {
  'reregister'?: (boolean);
  'ack'?: (_distexec_v1_AttemptRef)[];
  'kill'?: (_distexec_v1_AttemptRef)[];
  'draining'?: (boolean);
  'masterEpoch'?: (number | string | Long);
}

export interface HeartbeatResponse__Output {
  'reregister': (boolean);
  'ack': (_distexec_v1_AttemptRef__Output)[];
  'kill': (_distexec_v1_AttemptRef__Output)[];
  'draining': (boolean);
  'masterEpoch': (number);
}
