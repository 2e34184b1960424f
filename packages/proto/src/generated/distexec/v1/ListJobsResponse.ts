// Original file: proto/distexec/v1/job_service.proto

import type { Job as _distexec_v1_Job, Job__Output as _distexec_v1_Job__Output } from '../../distexec/v1/Job.js';
import type { Long } from '@grpc/proto-loader';

export interface ListJobsResponse {
  'jobs'?: (_distexec_v1_Job)[];
  'nextPageToken'?: (string);
  'totalCount'?: (number | string | Long);
}

export interface ListJobsResponse__Output {
  'jobs': (_distexec_v1_Job__Output)[];
  'nextPageToken': (string);
  'totalCount': (number);
}
