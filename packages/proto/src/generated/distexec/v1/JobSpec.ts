// Original file: proto/distexec/v1/types.proto

import type { HttpRequestSpec as _distexec_v1_HttpRequestSpec, HttpRequestSpec__Output as _distexec_v1_HttpRequestSpec__Output } from '../../distexec/v1/HttpRequestSpec.js';
import type { Long } from '@grpc/proto-loader';

export interface JobSpec {
  'type'?: (string);
  'command'?: (string);
  'argv'?: (string)[];
  'env'?: ({[key: string]: string});
  'cwd'?: (string);
  'stdin'?: (Buffer | Uint8Array | string);
  'priority'?: (number);
  'timeoutMs'?: (number);
  'labels'?: ({[key: string]: string});
  'constraints'?: ({[key: string]: string});
  'cpu'?: (number | string);
  'memoryBytes'?: (number | string | Long);
  'maxRetries'?: (number);
  'retryOnFailure'?: (boolean);
  'idempotencyKey'?: (string);
  'http'?: (_distexec_v1_HttpRequestSpec | null);
  'memoryLimitBytes'?: (number | string | Long);
  'user'?: (string);
  'configJson'?: (string);
}

export interface JobSpec__Output {
  'type': (string);
  'command': (string);
  'argv': (string)[];
  'env': ({[key: string]: string});
  'cwd': (string);
  'stdin': (Buffer);
  'priority': (number);
  'timeoutMs': (number);
  'labels': ({[key: string]: string});
  'constraints': ({[key: string]: string});
  'cpu': (number);
  'memoryBytes': (number);
  'maxRetries': (number);
  'retryOnFailure': (boolean);
  'idempotencyKey': (string);
  'http': (_distexec_v1_HttpRequestSpec__Output | null);
  'memoryLimitBytes': (number);
  'user': (string);
  'configJson': (string);
}
