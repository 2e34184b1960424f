// Original file: proto/distexec/v1/execution_service.proto

import type { OutputStream as _distexec_v1_OutputStream, OutputStream__Output as _distexec_v1_OutputStream__Output } from '../../distexec/v1/OutputStream.js';
import type { Long } from '@grpc/proto-loader';

export interface AttemptOutput {
  'offset'?: (number | string | Long);
  'stream'?: (_distexec_v1_OutputStream);
  'data'?: (Buffer | Uint8Array | string);
  'timestampMs'?: (number | string | Long);
}

export interface AttemptOutput__Output {
  'offset': (number);
  'stream': (_distexec_v1_OutputStream__Output);
  'data': (Buffer);
  'timestampMs': (number);
}
