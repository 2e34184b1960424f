// Original file: proto/distexec/v1/execution_service.proto

import type { DispatchEvent as _distexec_v1_DispatchEvent, DispatchEvent__Output as _distexec_v1_DispatchEvent__Output } from '../../distexec/v1/DispatchEvent.js';

export interface DispatchResponse {
  'events'?: (_distexec_v1_DispatchEvent)[];
}

export interface DispatchResponse__Output {
  'events': (_distexec_v1_DispatchEvent__Output)[];
}
