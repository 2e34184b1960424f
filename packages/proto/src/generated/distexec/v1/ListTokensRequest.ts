// Original file: proto/distexec/v1/token_service.proto


export interface ListTokensRequest {
  'includeRevoked'?: (boolean);
}

export interface ListTokensRequest__Output {
  'includeRevoked': (boolean);
}
