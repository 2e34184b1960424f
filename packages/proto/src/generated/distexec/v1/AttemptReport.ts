// Original file: proto/distexec/v1/node_service.proto


export interface AttemptReport {
  'jobId'?: (string);
  'attempt'?: (number);
  'finished'?: (boolean);
}

export interface AttemptReport__Output {
  'jobId': (string);
  'attempt': (number);
  'finished': (boolean);
}
