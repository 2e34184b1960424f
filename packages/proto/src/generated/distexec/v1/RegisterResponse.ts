// Original file: proto/distexec/v1/node_service.proto

import type { AttemptRef as _distexec_v1_AttemptRef, AttemptRef__Output as _distexec_v1_AttemptRef__Output } from '../../distexec/v1/AttemptRef.js';
import type { Long } from '@grpc/proto-loader';

export interface RegisterResponse {
  'heartbeatIntervalMs'?: (number);
  'ack'?: (_distexec_v1_AttemptRef)[];
  'kill'?: (_distexec_v1_AttemptRef)[];
  'masterId'?: (string);
  'rescheduleAfterMs'?: (number);
  'nodeSecret'?: (string);
  'heartbeatTimeoutMs'?: (number);
  'masterEpoch'?: (number | string | Long);
}

export interface RegisterResponse__Output {
  'heartbeatIntervalMs': (number);
  'ack': (_distexec_v1_AttemptRef__Output)[];
  'kill': (_distexec_v1_AttemptRef__Output)[];
  'masterId': (string);
  'rescheduleAfterMs': (number);
  'nodeSecret': (string);
  'heartbeatTimeoutMs': (number);
  'masterEpoch': (number);
}
