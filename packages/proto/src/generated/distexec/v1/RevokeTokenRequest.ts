// Original file: proto/distexec/v1/token_service.proto


export interface RevokeTokenRequest {
  'name'?: (string);
}

export interface RevokeTokenRequest__Output {
  'name': (string);
}
