// Original file: proto/distexec/v1/node_service.proto


export interface DrainNodeRequest {
  'nodeId'?: (string);
  'deadlineMs'?: (number);
  'nodeSecret'?: (string);
}

export interface DrainNodeRequest__Output {
  'nodeId': (string);
  'deadlineMs': (number);
  'nodeSecret': (string);
}
