// Original file: proto/distexec/v1/token_service.proto

import type { TokenInfo as _distexec_v1_TokenInfo, TokenInfo__Output as _distexec_v1_TokenInfo__Output } from '../../distexec/v1/TokenInfo.js';

export interface ListTokensResponse {
  'tokens'?: (_distexec_v1_TokenInfo)[];
}

export interface ListTokensResponse__Output {
  'tokens': (_distexec_v1_TokenInfo__Output)[];
}
