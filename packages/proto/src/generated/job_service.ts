import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { Attempt as _distexec_v1_Attempt, Attempt__Output as _distexec_v1_Attempt__Output } from './distexec/v1/Attempt.js';
import type { AttemptRef as _distexec_v1_AttemptRef, AttemptRef__Output as _distexec_v1_AttemptRef__Output } from './distexec/v1/AttemptRef.js';
import type { CancelJobRequest as _distexec_v1_CancelJobRequest, CancelJobRequest__Output as _distexec_v1_CancelJobRequest__Output } from './distexec/v1/CancelJobRequest.js';
import type { GetJobRequest as _distexec_v1_GetJobRequest, GetJobRequest__Output as _distexec_v1_GetJobRequest__Output } from './distexec/v1/GetJobRequest.js';
import type { HttpRequestSpec as _distexec_v1_HttpRequestSpec, HttpRequestSpec__Output as _distexec_v1_HttpRequestSpec__Output } from './distexec/v1/HttpRequestSpec.js';
import type { HttpResult as _distexec_v1_HttpResult, HttpResult__Output as _distexec_v1_HttpResult__Output } from './distexec/v1/HttpResult.js';
import type { Job as _distexec_v1_Job, Job__Output as _distexec_v1_Job__Output } from './distexec/v1/Job.js';
import type { JobEvent as _distexec_v1_JobEvent, JobEvent__Output as _distexec_v1_JobEvent__Output } from './distexec/v1/JobEvent.js';
import type { JobServiceClient as _distexec_v1_JobServiceClient, JobServiceDefinition as _distexec_v1_JobServiceDefinition } from './distexec/v1/JobService.js';
import type { JobSpec as _distexec_v1_JobSpec, JobSpec__Output as _distexec_v1_JobSpec__Output } from './distexec/v1/JobSpec.js';
import type { ListJobsRequest as _distexec_v1_ListJobsRequest, ListJobsRequest__Output as _distexec_v1_ListJobsRequest__Output } from './distexec/v1/ListJobsRequest.js';
import type { ListJobsResponse as _distexec_v1_ListJobsResponse, ListJobsResponse__Output as _distexec_v1_ListJobsResponse__Output } from './distexec/v1/ListJobsResponse.js';
import type { Node as _distexec_v1_Node, Node__Output as _distexec_v1_Node__Output } from './distexec/v1/Node.js';
import type { OutputChunk as _distexec_v1_OutputChunk, OutputChunk__Output as _distexec_v1_OutputChunk__Output } from './distexec/v1/OutputChunk.js';
import type { RunJobEvent as _distexec_v1_RunJobEvent, RunJobEvent__Output as _distexec_v1_RunJobEvent__Output } from './distexec/v1/RunJobEvent.js';
import type { RunJobRequest as _distexec_v1_RunJobRequest, RunJobRequest__Output as _distexec_v1_RunJobRequest__Output } from './distexec/v1/RunJobRequest.js';
import type { SubmitJobRequest as _distexec_v1_SubmitJobRequest, SubmitJobRequest__Output as _distexec_v1_SubmitJobRequest__Output } from './distexec/v1/SubmitJobRequest.js';
import type { SubmitJobResponse as _distexec_v1_SubmitJobResponse, SubmitJobResponse__Output as _distexec_v1_SubmitJobResponse__Output } from './distexec/v1/SubmitJobResponse.js';
import type { SubmitJobsRequest as _distexec_v1_SubmitJobsRequest, SubmitJobsRequest__Output as _distexec_v1_SubmitJobsRequest__Output } from './distexec/v1/SubmitJobsRequest.js';
import type { SubmitJobsResponse as _distexec_v1_SubmitJobsResponse, SubmitJobsResponse__Output as _distexec_v1_SubmitJobsResponse__Output } from './distexec/v1/SubmitJobsResponse.js';
import type { WatchJobRequest as _distexec_v1_WatchJobRequest, WatchJobRequest__Output as _distexec_v1_WatchJobRequest__Output } from './distexec/v1/WatchJobRequest.js';
import type { WatchJobsRequest as _distexec_v1_WatchJobsRequest, WatchJobsRequest__Output as _distexec_v1_WatchJobsRequest__Output } from './distexec/v1/WatchJobsRequest.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  distexec: {
    v1: {
      Attempt: MessageTypeDefinition<_distexec_v1_Attempt, _distexec_v1_Attempt__Output>
      AttemptRef: MessageTypeDefinition<_distexec_v1_AttemptRef, _distexec_v1_AttemptRef__Output>
      CancelJobRequest: MessageTypeDefinition<_distexec_v1_CancelJobRequest, _distexec_v1_CancelJobRequest__Output>
      FailureReason: EnumTypeDefinition
      GetJobRequest: MessageTypeDefinition<_distexec_v1_GetJobRequest, _distexec_v1_GetJobRequest__Output>
      HttpRequestSpec: MessageTypeDefinition<_distexec_v1_HttpRequestSpec, _distexec_v1_HttpRequestSpec__Output>
      HttpResult: MessageTypeDefinition<_distexec_v1_HttpResult, _distexec_v1_HttpResult__Output>
      Job: MessageTypeDefinition<_distexec_v1_Job, _distexec_v1_Job__Output>
      JobEvent: MessageTypeDefinition<_distexec_v1_JobEvent, _distexec_v1_JobEvent__Output>
      JobService: SubtypeConstructor<typeof grpc.Client, _distexec_v1_JobServiceClient> & { service: _distexec_v1_JobServiceDefinition }
      JobSpec: MessageTypeDefinition<_distexec_v1_JobSpec, _distexec_v1_JobSpec__Output>
      JobState: EnumTypeDefinition
      ListJobsRequest: MessageTypeDefinition<_distexec_v1_ListJobsRequest, _distexec_v1_ListJobsRequest__Output>
      ListJobsResponse: MessageTypeDefinition<_distexec_v1_ListJobsResponse, _distexec_v1_ListJobsResponse__Output>
      Node: MessageTypeDefinition<_distexec_v1_Node, _distexec_v1_Node__Output>
      NodeState: EnumTypeDefinition
      OutputChunk: MessageTypeDefinition<_distexec_v1_OutputChunk, _distexec_v1_OutputChunk__Output>
      OutputStream: EnumTypeDefinition
      RunJobEvent: MessageTypeDefinition<_distexec_v1_RunJobEvent, _distexec_v1_RunJobEvent__Output>
      RunJobRequest: MessageTypeDefinition<_distexec_v1_RunJobRequest, _distexec_v1_RunJobRequest__Output>
      SubmitJobRequest: MessageTypeDefinition<_distexec_v1_SubmitJobRequest, _distexec_v1_SubmitJobRequest__Output>
      SubmitJobResponse: MessageTypeDefinition<_distexec_v1_SubmitJobResponse, _distexec_v1_SubmitJobResponse__Output>
      SubmitJobsRequest: MessageTypeDefinition<_distexec_v1_SubmitJobsRequest, _distexec_v1_SubmitJobsRequest__Output>
      SubmitJobsResponse: MessageTypeDefinition<_distexec_v1_SubmitJobsResponse, _distexec_v1_SubmitJobsResponse__Output>
      WatchJobRequest: MessageTypeDefinition<_distexec_v1_WatchJobRequest, _distexec_v1_WatchJobRequest__Output>
      WatchJobsRequest: MessageTypeDefinition<_distexec_v1_WatchJobsRequest, _distexec_v1_WatchJobsRequest__Output>
    }
  }
}

