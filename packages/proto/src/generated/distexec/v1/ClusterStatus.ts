// Original file: proto/distexec/v1/node_service.proto

import type { PriorityCount as _distexec_v1_PriorityCount, PriorityCount__Output as _distexec_v1_PriorityCount__Output } from '../../distexec/v1/PriorityCount.js';
import type { Node as _distexec_v1_Node, Node__Output as _distexec_v1_Node__Output } from '../../distexec/v1/Node.js';
import type { MasterInfo as _distexec_v1_MasterInfo, MasterInfo__Output as _distexec_v1_MasterInfo__Output } from '../../distexec/v1/MasterInfo.js';
import type { Long } from '@grpc/proto-loader';

export interface ClusterStatus {
  'atMs'?: (number | string | Long);
  'masterId'?: (string);
  'jobsByState'?: ({[key: string]: number | string | Long});
  'queueByPriority'?: (_distexec_v1_PriorityCount)[];
  'nodes'?: (_distexec_v1_Node)[];
  'masters'?: (_distexec_v1_MasterInfo)[];
}

export interface ClusterStatus__Output {
  'atMs': (number);
  'masterId': (string);
  'jobsByState': ({[key: string]: number});
  'queueByPriority': (_distexec_v1_PriorityCount__Output)[];
  'nodes': (_distexec_v1_Node__Output)[];
  'masters': (_distexec_v1_MasterInfo__Output)[];
}
