// Original file: proto/distexec/v1/job_service.proto

import type { Job as _distexec_v1_Job, Job__Output as _distexec_v1_Job__Output } from '../../distexec/v1/Job.js';

export interface SubmitJobsResponse {
  'jobs'?: (_distexec_v1_Job)[];
  'ids'?: (string)[];
}

export interface SubmitJobsResponse__Output {
  'jobs': (_distexec_v1_Job__Output)[];
  'ids': (string)[];
}
