// Original file: proto/distexec/v1/token_service.proto

import type { TokenInfo as _distexec_v1_TokenInfo, TokenInfo__Output as _distexec_v1_TokenInfo__Output } from '../../distexec/v1/TokenInfo.js';

export interface CreateTokenResponse {
  'token'?: (_distexec_v1_TokenInfo | null);
  'secret'?: (string);
}

export interface CreateTokenResponse__Output {
  'token': (_distexec_v1_TokenInfo__Output | null);
  'secret': (string);
}
