// Original file: proto/distexec/v1/node_service.proto


export interface UndrainNodeRequest {
  'nodeId'?: (string);
  'nodeSecret'?: (string);
}

export interface UndrainNodeRequest__Output {
  'nodeId': (string);
  'nodeSecret': (string);
}
