// Original file: proto/distexec/v1/execution_service.proto


export interface CancelAttemptResponse {
  'found'?: (boolean);
}

export interface CancelAttemptResponse__Output {
  'found': (boolean);
}
