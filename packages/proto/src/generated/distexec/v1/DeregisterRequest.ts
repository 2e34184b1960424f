// Original file: proto/distexec/v1/node_service.proto


export interface DeregisterRequest {
  'nodeId'?: (string);
  'nodeSecret'?: (string);
}

export interface DeregisterRequest__Output {
  'nodeId': (string);
  'nodeSecret': (string);
}
