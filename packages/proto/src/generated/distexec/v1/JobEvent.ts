// Original file: proto/distexec/v1/job_service.proto

import type { Job as _distexec_v1_Job, Job__Output as _distexec_v1_Job__Output } from '../../distexec/v1/Job.js';
import type { OutputChunk as _distexec_v1_OutputChunk, OutputChunk__Output as _distexec_v1_OutputChunk__Output } from '../../distexec/v1/OutputChunk.js';

export interface JobEvent {
  'job'?: (_distexec_v1_Job | null);
  'output'?: (_distexec_v1_OutputChunk | null);
  'event'?: "job"|"output";
}

export interface JobEvent__Output {
  'job'?: (_distexec_v1_Job__Output | null);
  'output'?: (_distexec_v1_OutputChunk__Output | null);
  'event'?: "job"|"output";
}
