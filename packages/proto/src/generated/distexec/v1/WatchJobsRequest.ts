// Original file: proto/distexec/v1/job_service.proto


export interface WatchJobsRequest {
  'ids'?: (string)[];
  'finalOnly'?: (boolean);
  'brief'?: (boolean);
}

export interface WatchJobsRequest__Output {
  'ids': (string)[];
  'finalOnly': (boolean);
  'brief': (boolean);
}
