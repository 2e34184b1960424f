// Original file: proto/distexec/v1/node_service.proto

import type { Node as _distexec_v1_Node, Node__Output as _distexec_v1_Node__Output } from '../../distexec/v1/Node.js';

export interface ListNodesResponse {
  'nodes'?: (_distexec_v1_Node)[];
}

export interface ListNodesResponse__Output {
  'nodes': (_distexec_v1_Node__Output)[];
}
