// Original file: proto/distexec/v1/token_service.proto


export interface RateLimit {
  'count'?: (number);
  'periodMs'?: (number);
  'burst'?: (number);
}

export interface RateLimit__Output {
  'count': (number);
  'periodMs': (number);
  'burst': (number);
}
