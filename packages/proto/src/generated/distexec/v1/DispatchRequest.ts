// Original file: proto/distexec/v1/execution_service.proto

import type { ExecuteRequest as _distexec_v1_ExecuteRequest, ExecuteRequest__Output as _distexec_v1_ExecuteRequest__Output } from '../../distexec/v1/ExecuteRequest.js';

export interface DispatchRequest {
  'execute'?: (_distexec_v1_ExecuteRequest)[];
}

export interface DispatchRequest__Output {
  'execute': (_distexec_v1_ExecuteRequest__Output)[];
}
