// Original file: proto/distexec/v1/node_service.proto

import type { AttemptReport as _distexec_v1_AttemptReport, AttemptReport__Output as _distexec_v1_AttemptReport__Output } from '../../distexec/v1/AttemptReport.js';
import type { Long } from '@grpc/proto-loader';

export interface RegisterRequest {
  'nodeId'?: (string);
  'address'?: (string);
  'capabilities'?: (string)[];
  'maxTasks'?: (number);
  'labels'?: ({[key: string]: string});
  'cpus'?: (number | string);
  'memoryBytes'?: (number | string | Long);
  'weight'?: (number);
  'version'?: (string);
  'attempts'?: (_distexec_v1_AttemptReport)[];
  'draining'?: (boolean);
  'nodeSecret'?: (string);
  'executionSecret'?: (string);
  'taskConfigSchemas'?: ({[key: string]: string});
}

export interface RegisterRequest__Output {
  'nodeId': (string);
  'address': (string);
  'capabilities': (string)[];
  'maxTasks': (number);
  'labels': ({[key: string]: string});
  'cpus': (number);
  'memoryBytes': (number);
  'weight': (number);
  'version': (string);
  'attempts': (_distexec_v1_AttemptReport__Output)[];
  'draining': (boolean);
  'nodeSecret': (string);
  'executionSecret': (string);
  'taskConfigSchemas': ({[key: string]: string});
}
