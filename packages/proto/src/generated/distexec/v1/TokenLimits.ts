// Original file: proto/distexec/v1/token_service.proto

import type { RateLimit as _distexec_v1_RateLimit, RateLimit__Output as _distexec_v1_RateLimit__Output } from '../../distexec/v1/RateLimit.js';

export interface TokenLimits {
  'maxPending'?: (number);
  'maxRunning'?: (number);
  'rateLimit'?: (_distexec_v1_RateLimit | null);
  'allowCommands'?: (string)[];
  'denyCommands'?: (string)[];
}

export interface TokenLimits__Output {
  'maxPending': (number);
  'maxRunning': (number);
  'rateLimit': (_distexec_v1_RateLimit__Output | null);
  'allowCommands': (string)[];
  'denyCommands': (string)[];
}
