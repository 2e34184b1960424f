// Original file: proto/distexec/v1/execution_service.proto

import type { ExecuteRequest as _distexec_v1_ExecuteRequest, ExecuteRequest__Output as _distexec_v1_ExecuteRequest__Output } from '../../distexec/v1/ExecuteRequest.js';
import type { AttemptRef as _distexec_v1_AttemptRef, AttemptRef__Output as _distexec_v1_AttemptRef__Output } from '../../distexec/v1/AttemptRef.js';
import type { Long } from '@grpc/proto-loader';

export interface DispatchRequest {
  'execute'?: (_distexec_v1_ExecuteRequest)[];
  'ack'?: (_distexec_v1_AttemptRef)[];
  'masterEpoch'?: (number | string | Long);
}

export interface DispatchRequest__Output {
  'execute': (_distexec_v1_ExecuteRequest__Output)[];
  'ack': (_distexec_v1_AttemptRef__Output)[];
  'masterEpoch': (number);
}
