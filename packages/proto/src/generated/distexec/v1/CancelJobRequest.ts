// Original file: proto/distexec/v1/job_service.proto


export interface CancelJobRequest {
  'id'?: (string);
}

export interface CancelJobRequest__Output {
  'id': (string);
}
