// Original file: proto/distexec/v1/token_service.proto

import type { TokenRole as _distexec_v1_TokenRole, TokenRole__Output as _distexec_v1_TokenRole__Output } from '../../distexec/v1/TokenRole.js';
import type { Long } from '@grpc/proto-loader';

export interface CreateTokenRequest {
  'name'?: (string);
  'role'?: (_distexec_v1_TokenRole);
  'ttlMs'?: (number | string | Long);
}

export interface CreateTokenRequest__Output {
  'name': (string);
  'role': (_distexec_v1_TokenRole__Output);
  'ttlMs': (number);
}
