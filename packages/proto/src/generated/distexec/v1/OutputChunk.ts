// Original file: proto/distexec/v1/types.proto

import type { OutputStream as _distexec_v1_OutputStream, OutputStream__Output as _distexec_v1_OutputStream__Output } from '../../distexec/v1/OutputStream.js';
import type { Long } from '@grpc/proto-loader';

export interface OutputChunk {
  'offset'?: (number | string | Long);
  'stream'?: (_distexec_v1_OutputStream);
  'data'?: (Buffer | Uint8Array | string);
  'timestampMs'?: (number | string | Long);
  'attempt'?: (number);
}

export interface OutputChunk__Output {
  'offset': (number);
  'stream': (_distexec_v1_OutputStream__Output);
  'data': (Buffer);
  'timestampMs': (number);
  'attempt': (number);
}
