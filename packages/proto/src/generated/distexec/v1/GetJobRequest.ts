// Original file: proto/distexec/v1/job_service.proto


export interface GetJobRequest {
  'id'?: (string);
  'includeOutput'?: (boolean);
  'includeEnv'?: (boolean);
}

export interface GetJobRequest__Output {
  'id': (string);
  'includeOutput': (boolean);
  'includeEnv': (boolean);
}
