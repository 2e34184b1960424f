// Original file: proto/distexec/v1/types.proto


export interface AttemptRef {
  'jobId'?: (string);
  'attempt'?: (number);
}

export interface AttemptRef__Output {
  'jobId': (string);
  'attempt': (number);
}
