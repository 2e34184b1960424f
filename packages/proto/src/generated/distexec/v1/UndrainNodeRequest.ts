// Original file: proto/distexec/v1/node_service.proto


export interface UndrainNodeRequest {
  'nodeId'?: (string);
}

export interface UndrainNodeRequest__Output {
  'nodeId': (string);
}
