// Original file: proto/distexec/v1/job_service.proto

import type { Job as _distexec_v1_Job, Job__Output as _distexec_v1_Job__Output } from '../../distexec/v1/Job.js';

export interface SubmitJobResponse {
  'job'?: (_distexec_v1_Job | null);
  'existing'?: (boolean);
}

export interface SubmitJobResponse__Output {
  'job': (_distexec_v1_Job__Output | null);
  'existing': (boolean);
}
