// Original file: proto/distexec/v1/types.proto

import type { NodeState as _distexec_v1_NodeState, NodeState__Output as _distexec_v1_NodeState__Output } from '../../distexec/v1/NodeState.js';
import type { Long } from '@grpc/proto-loader';

export interface Node {
  'id'?: (string);
  'address'?: (string);
  'state'?: (_distexec_v1_NodeState);
  'draining'?: (boolean);
  'capabilities'?: (string)[];
  'labels'?: ({[key: string]: string});
  'maxTasks'?: (number);
  'activeTasks'?: (number);
  'cpus'?: (number | string);
  'usedCpus'?: (number | string);
  'memoryBytes'?: (number | string | Long);
  'usedMemoryBytes'?: (number | string | Long);
  'weight'?: (number);
  'lastHeartbeatMs'?: (number | string | Long);
  'registeredAtMs'?: (number | string | Long);
  'version'?: (string);
  'drainDeadlineMs'?: (number | string | Long);
  'unavailableReason'?: (string);
  'recentFlaps'?: (number);
}

export interface Node__Output {
  'id': (string);
  'address': (string);
  'state': (_distexec_v1_NodeState__Output);
  'draining': (boolean);
  'capabilities': (string)[];
  'labels': ({[key: string]: string});
  'maxTasks': (number);
  'activeTasks': (number);
  'cpus': (number);
  'usedCpus': (number);
  'memoryBytes': (number);
  'usedMemoryBytes': (number);
  'weight': (number);
  'lastHeartbeatMs': (number);
  'registeredAtMs': (number);
  'version': (string);
  'drainDeadlineMs': (number);
  'unavailableReason': (string);
  'recentFlaps': (number);
}
