// Original file: proto/distexec/v1/job_service.proto

import type { SubmitJobResponse as _distexec_v1_SubmitJobResponse, SubmitJobResponse__Output as _distexec_v1_SubmitJobResponse__Output } from '../../distexec/v1/SubmitJobResponse.js';
import type { Job as _distexec_v1_Job, Job__Output as _distexec_v1_Job__Output } from '../../distexec/v1/Job.js';
import type { OutputChunk as _distexec_v1_OutputChunk, OutputChunk__Output as _distexec_v1_OutputChunk__Output } from '../../distexec/v1/OutputChunk.js';

export interface RunJobEvent {
  'submitted'?: (_distexec_v1_SubmitJobResponse | null);
  'job'?: (_distexec_v1_Job | null);
  'output'?: (_distexec_v1_OutputChunk | null);
  'event'?: "submitted"|"job"|"output";
}

export interface RunJobEvent__Output {
  'submitted'?: (_distexec_v1_SubmitJobResponse__Output | null);
  'job'?: (_distexec_v1_Job__Output | null);
  'output'?: (_distexec_v1_OutputChunk__Output | null);
  'event'?: "submitted"|"job"|"output";
}
