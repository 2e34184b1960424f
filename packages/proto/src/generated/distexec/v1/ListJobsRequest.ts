// Original file: proto/distexec/v1/job_service.proto

import type { JobState as _distexec_v1_JobState, JobState__Output as _distexec_v1_JobState__Output } from '../../distexec/v1/JobState.js';

export interface ListJobsRequest {
  'states'?: (_distexec_v1_JobState)[];
  'pageSize'?: (number);
  'pageToken'?: (string);
  'idFragment'?: (string);
}

export interface ListJobsRequest__Output {
  'states': (_distexec_v1_JobState__Output)[];
  'pageSize': (number);
  'pageToken': (string);
  'idFragment': (string);
}
