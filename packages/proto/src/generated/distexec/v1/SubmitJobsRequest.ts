// Original file: proto/distexec/v1/job_service.proto

import type { JobSpec as _distexec_v1_JobSpec, JobSpec__Output as _distexec_v1_JobSpec__Output } from '../../distexec/v1/JobSpec.js';

export interface SubmitJobsRequest {
  'specs'?: (_distexec_v1_JobSpec)[];
  'idsOnly'?: (boolean);
}

export interface SubmitJobsRequest__Output {
  'specs': (_distexec_v1_JobSpec__Output)[];
  'idsOnly': (boolean);
}
