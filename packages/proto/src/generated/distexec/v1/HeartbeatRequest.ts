// Original file: proto/distexec/v1/node_service.proto

import type { AttemptReport as _distexec_v1_AttemptReport, AttemptReport__Output as _distexec_v1_AttemptReport__Output } from '../../distexec/v1/AttemptReport.js';

export interface HeartbeatRequest {
  'nodeId'?: (string);
  'activeTasks'?: (number);
  'attempts'?: (_distexec_v1_AttemptReport)[];
  'draining'?: (boolean);
  'nodeSecret'?: (string);
}

export interface HeartbeatRequest__Output {
  'nodeId': (string);
  'activeTasks': (number);
  'attempts': (_distexec_v1_AttemptReport__Output)[];
  'draining': (boolean);
  'nodeSecret': (string);
}
