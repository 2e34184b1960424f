// Original file: proto/distexec/v1/job_service.proto

import type { JobSpec as _distexec_v1_JobSpec, JobSpec__Output as _distexec_v1_JobSpec__Output } from '../../distexec/v1/JobSpec.js';

export interface RunJobRequest {
  'spec'?: (_distexec_v1_JobSpec | null);
  'noOutput'?: (boolean);
  'finalOnly'?: (boolean);
}

export interface RunJobRequest__Output {
  'spec': (_distexec_v1_JobSpec__Output | null);
  'noOutput': (boolean);
  'finalOnly': (boolean);
}
