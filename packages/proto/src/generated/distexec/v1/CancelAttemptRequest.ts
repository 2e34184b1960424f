// Original file: proto/distexec/v1/execution_service.proto


export interface CancelAttemptRequest {
  'jobId'?: (string);
  'attempt'?: (number);
  'forget'?: (boolean);
}

export interface CancelAttemptRequest__Output {
  'jobId': (string);
  'attempt': (number);
  'forget': (boolean);
}
