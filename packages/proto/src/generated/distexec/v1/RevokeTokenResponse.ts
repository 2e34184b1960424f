// Original file: proto/distexec/v1/token_service.proto

import type { TokenInfo as _distexec_v1_TokenInfo, TokenInfo__Output as _distexec_v1_TokenInfo__Output } from '../../distexec/v1/TokenInfo.js';

export interface RevokeTokenResponse {
  'token'?: (_distexec_v1_TokenInfo | null);
}

export interface RevokeTokenResponse__Output {
  'token': (_distexec_v1_TokenInfo__Output | null);
}
