// Original file: proto/distexec/v1/token_service.proto

import type { TokenRole as _distexec_v1_TokenRole, TokenRole__Output as _distexec_v1_TokenRole__Output } from '../../distexec/v1/TokenRole.js';
import type { Long } from '@grpc/proto-loader';

export interface TokenInfo {
  'name'?: (string);
  'role'?: (_distexec_v1_TokenRole);
  'createdAtMs'?: (number | string | Long);
  'lastUsedAtMs'?: (number | string | Long);
  'expiresAtMs'?: (number | string | Long);
  'revokedAtMs'?: (number | string | Long);
  'createdBy'?: (string);
  'source'?: (string);
}

export interface TokenInfo__Output {
  'name': (string);
  'role': (_distexec_v1_TokenRole__Output);
  'createdAtMs': (number);
  'lastUsedAtMs': (number);
  'expiresAtMs': (number);
  'revokedAtMs': (number);
  'createdBy': (string);
  'source': (string);
}
