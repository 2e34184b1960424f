// Original file: proto/distexec/v1/job_service.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { CancelJobRequest as _distexec_v1_CancelJobRequest, CancelJobRequest__Output as _distexec_v1_CancelJobRequest__Output } from '../../distexec/v1/CancelJobRequest.js';
import type { GetJobRequest as _distexec_v1_GetJobRequest, GetJobRequest__Output as _distexec_v1_GetJobRequest__Output } from '../../distexec/v1/GetJobRequest.js';
import type { Job as _distexec_v1_Job, Job__Output as _distexec_v1_Job__Output } from '../../distexec/v1/Job.js';
import type { JobEvent as _distexec_v1_JobEvent, JobEvent__Output as _distexec_v1_JobEvent__Output } from '../../distexec/v1/JobEvent.js';
import type { ListJobsRequest as _distexec_v1_ListJobsRequest, ListJobsRequest__Output as _distexec_v1_ListJobsRequest__Output } from '../../distexec/v1/ListJobsRequest.js';
import type { ListJobsResponse as _distexec_v1_ListJobsResponse, ListJobsResponse__Output as _distexec_v1_ListJobsResponse__Output } from '../../distexec/v1/ListJobsResponse.js';
import type { RunJobEvent as _distexec_v1_RunJobEvent, RunJobEvent__Output as _distexec_v1_RunJobEvent__Output } from '../../distexec/v1/RunJobEvent.js';
import type { RunJobRequest as _distexec_v1_RunJobRequest, RunJobRequest__Output as _distexec_v1_RunJobRequest__Output } from '../../distexec/v1/RunJobRequest.js';
import type { SubmitJobRequest as _distexec_v1_SubmitJobRequest, SubmitJobRequest__Output as _distexec_v1_SubmitJobRequest__Output } from '../../distexec/v1/SubmitJobRequest.js';
import type { SubmitJobResponse as _distexec_v1_SubmitJobResponse, SubmitJobResponse__Output as _distexec_v1_SubmitJobResponse__Output } from '../../distexec/v1/SubmitJobResponse.js';
import type { SubmitJobsRequest as _distexec_v1_SubmitJobsRequest, SubmitJobsRequest__Output as _distexec_v1_SubmitJobsRequest__Output } from '../../distexec/v1/SubmitJobsRequest.js';
import type { SubmitJobsResponse as _distexec_v1_SubmitJobsResponse, SubmitJobsResponse__Output as _distexec_v1_SubmitJobsResponse__Output } from '../../distexec/v1/SubmitJobsResponse.js';
import type { WatchJobRequest as _distexec_v1_WatchJobRequest, WatchJobRequest__Output as _distexec_v1_WatchJobRequest__Output } from '../../distexec/v1/WatchJobRequest.js';
import type { WatchJobsRequest as _distexec_v1_WatchJobsRequest, WatchJobsRequest__Output as _distexec_v1_WatchJobsRequest__Output } from '../../distexec/v1/WatchJobsRequest.js';

export interface JobServiceClient extends grpc.Client {
  CancelJob(argument: _distexec_v1_CancelJobRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_distexec_v1_Job__Output>): grpc.ClientUnaryCall;
  CancelJob(argument: _distexec_v1_CancelJobRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_distexec_v1_Job__Output>): grpc.ClientUnaryCall;
  CancelJob(argument: _distexec_v1_CancelJobRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_distexec_v1_Job__Output>): grpc.ClientUnaryCall;
  CancelJob(argument: _distexec_v1_CancelJobRequest, callback: grpc.requestCallback<_distexec_v1_Job__Output>): grpc.ClientUnaryCall;
  cancelJob(argument: _distexec_v1_CancelJobRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_distexec_v1_Job__Output>): grpc.ClientUnaryCall;
  cancelJob(argument: _distexec_v1_CancelJobRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_distexec_v1_Job__Output>): grpc.ClientUnaryCall;
  cancelJob(argument: _distexec_v1_CancelJobRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_distexec_v1_Job__Output>): grpc.ClientUnaryCall;
  cancelJob(argument: _distexec_v1_CancelJobRequest, callback: grpc.requestCallback<_distexec_v1_Job__Output>): grpc.ClientUnaryCall;
  
  GetJob(argument: _distexec_v1_GetJobRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_distexec_v1_Job__Output>): grpc.ClientUnaryCall;
  GetJob(argument: _distexec_v1_GetJobRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_distexec_v1_Job__Output>): grpc.ClientUnaryCall;
  GetJob(argument: _distexec_v1_GetJobRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_distexec_v1_Job__Output>): grpc.ClientUnaryCall;
  GetJob(argument: _distexec_v1_GetJobRequest, callback: grpc.requestCallback<_distexec_v1_Job__Output>): grpc.ClientUnaryCall;
  getJob(argument: _distexec_v1_GetJobRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_distexec_v1_Job__Output>): grpc.ClientUnaryCall;
  getJob(argument: _distexec_v1_GetJobRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_distexec_v1_Job__Output>): grpc.ClientUnaryCall;
  getJob(argument: _distexec_v1_GetJobRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_distexec_v1_Job__Output>): grpc.ClientUnaryCall;
  getJob(argument: _distexec_v1_GetJobRequest, callback: grpc.requestCallback<_distexec_v1_Job__Output>): grpc.ClientUnaryCall;
  
  ListJobs(argument: _distexec_v1_ListJobsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_distexec_v1_ListJobsResponse__Output>): grpc.ClientUnaryCall;
  ListJobs(argument: _distexec_v1_ListJobsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_distexec_v1_ListJobsResponse__Output>): grpc.ClientUnaryCall;
  ListJobs(argument: _distexec_v1_ListJobsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_distexec_v1_ListJobsResponse__Output>): grpc.ClientUnaryCall;
  ListJobs(argument: _distexec_v1_ListJobsRequest, callback: grpc.requestCallback<_distexec_v1_ListJobsResponse__Output>): grpc.ClientUnaryCall;
  listJobs(argument: _distexec_v1_ListJobsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_distexec_v1_ListJobsResponse__Output>): grpc.ClientUnaryCall;
  listJobs(argument: _distexec_v1_ListJobsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_distexec_v1_ListJobsResponse__Output>): grpc.ClientUnaryCall;
  listJobs(argument: _distexec_v1_ListJobsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_distexec_v1_ListJobsResponse__Output>): grpc.ClientUnaryCall;
  listJobs(argument: _distexec_v1_ListJobsRequest, callback: grpc.requestCallback<_distexec_v1_ListJobsResponse__Output>): grpc.ClientUnaryCall;
  
  RunJob(argument: _distexec_v1_RunJobRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_distexec_v1_RunJobEvent__Output>;
  RunJob(argument: _distexec_v1_RunJobRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_distexec_v1_RunJobEvent__Output>;
  runJob(argument: _distexec_v1_RunJobRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_distexec_v1_RunJobEvent__Output>;
  runJob(argument: _distexec_v1_RunJobRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_distexec_v1_RunJobEvent__Output>;
  
  SubmitJob(argument: _distexec_v1_SubmitJobRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_distexec_v1_SubmitJobResponse__Output>): grpc.ClientUnaryCall;
  SubmitJob(argument: _distexec_v1_SubmitJobRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_distexec_v1_SubmitJobResponse__Output>): grpc.ClientUnaryCall;
  SubmitJob(argument: _distexec_v1_SubmitJobRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_distexec_v1_SubmitJobResponse__Output>): grpc.ClientUnaryCall;
  SubmitJob(argument: _distexec_v1_SubmitJobRequest, callback: grpc.requestCallback<_distexec_v1_SubmitJobResponse__Output>): grpc.ClientUnaryCall;
  submitJob(argument: _distexec_v1_SubmitJobRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_distexec_v1_SubmitJobResponse__Output>): grpc.ClientUnaryCall;
  submitJob(argument: _distexec_v1_SubmitJobRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_distexec_v1_SubmitJobResponse__Output>): grpc.ClientUnaryCall;
  submitJob(argument: _distexec_v1_SubmitJobRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_distexec_v1_SubmitJobResponse__Output>): grpc.ClientUnaryCall;
  submitJob(argument: _distexec_v1_SubmitJobRequest, callback: grpc.requestCallback<_distexec_v1_SubmitJobResponse__Output>): grpc.ClientUnaryCall;
  
  SubmitJobs(argument: _distexec_v1_SubmitJobsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_distexec_v1_SubmitJobsResponse__Output>): grpc.ClientUnaryCall;
  SubmitJobs(argument: _distexec_v1_SubmitJobsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_distexec_v1_SubmitJobsResponse__Output>): grpc.ClientUnaryCall;
  SubmitJobs(argument: _distexec_v1_SubmitJobsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_distexec_v1_SubmitJobsResponse__Output>): grpc.ClientUnaryCall;
  SubmitJobs(argument: _distexec_v1_SubmitJobsRequest, callback: grpc.requestCallback<_distexec_v1_SubmitJobsResponse__Output>): grpc.ClientUnaryCall;
  submitJobs(argument: _distexec_v1_SubmitJobsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_distexec_v1_SubmitJobsResponse__Output>): grpc.ClientUnaryCall;
  submitJobs(argument: _distexec_v1_SubmitJobsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_distexec_v1_SubmitJobsResponse__Output>): grpc.ClientUnaryCall;
  submitJobs(argument: _distexec_v1_SubmitJobsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_distexec_v1_SubmitJobsResponse__Output>): grpc.ClientUnaryCall;
  submitJobs(argument: _distexec_v1_SubmitJobsRequest, callback: grpc.requestCallback<_distexec_v1_SubmitJobsResponse__Output>): grpc.ClientUnaryCall;
  
  WatchJob(argument: _distexec_v1_WatchJobRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_distexec_v1_JobEvent__Output>;
  WatchJob(argument: _distexec_v1_WatchJobRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_distexec_v1_JobEvent__Output>;
  watchJob(argument: _distexec_v1_WatchJobRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_distexec_v1_JobEvent__Output>;
  watchJob(argument: _distexec_v1_WatchJobRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_distexec_v1_JobEvent__Output>;
  
  WatchJobs(argument: _distexec_v1_WatchJobsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_distexec_v1_JobEvent__Output>;
  WatchJobs(argument: _distexec_v1_WatchJobsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_distexec_v1_JobEvent__Output>;
  watchJobs(argument: _distexec_v1_WatchJobsRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_distexec_v1_JobEvent__Output>;
  watchJobs(argument: _distexec_v1_WatchJobsRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_distexec_v1_JobEvent__Output>;
  
}

export interface JobServiceHandlers extends grpc.UntypedServiceImplementation {
  CancelJob: grpc.handleUnaryCall<_distexec_v1_CancelJobRequest__Output, _distexec_v1_Job>;
  
  GetJob: grpc.handleUnaryCall<_distexec_v1_GetJobRequest__Output, _distexec_v1_Job>;
  
  ListJobs: grpc.handleUnaryCall<_distexec_v1_ListJobsRequest__Output, _distexec_v1_ListJobsResponse>;
  
  RunJob: grpc.handleServerStreamingCall<_distexec_v1_RunJobRequest__Output, _distexec_v1_RunJobEvent>;
  
  SubmitJob: grpc.handleUnaryCall<_distexec_v1_SubmitJobRequest__Output, _distexec_v1_SubmitJobResponse>;
  
  SubmitJobs: grpc.handleUnaryCall<_distexec_v1_SubmitJobsRequest__Output, _distexec_v1_SubmitJobsResponse>;
  
  WatchJob: grpc.handleServerStreamingCall<_distexec_v1_WatchJobRequest__Output, _distexec_v1_JobEvent>;
  
  WatchJobs: grpc.handleServerStreamingCall<_distexec_v1_WatchJobsRequest__Output, _distexec_v1_JobEvent>;
  
}

export interface JobServiceDefinition extends grpc.ServiceDefinition {
  CancelJob: MethodDefinition<_distexec_v1_CancelJobRequest, _distexec_v1_Job, _distexec_v1_CancelJobRequest__Output, _distexec_v1_Job__Output>
  GetJob: MethodDefinition<_distexec_v1_GetJobRequest, _distexec_v1_Job, _distexec_v1_GetJobRequest__Output, _distexec_v1_Job__Output>
  ListJobs: MethodDefinition<_distexec_v1_ListJobsRequest, _distexec_v1_ListJobsResponse, _distexec_v1_ListJobsRequest__Output, _distexec_v1_ListJobsResponse__Output>
  RunJob: MethodDefinition<_distexec_v1_RunJobRequest, _distexec_v1_RunJobEvent, _distexec_v1_RunJobRequest__Output, _distexec_v1_RunJobEvent__Output>
  SubmitJob: MethodDefinition<_distexec_v1_SubmitJobRequest, _distexec_v1_SubmitJobResponse, _distexec_v1_SubmitJobRequest__Output, _distexec_v1_SubmitJobResponse__Output>
  SubmitJobs: MethodDefinition<_distexec_v1_SubmitJobsRequest, _distexec_v1_SubmitJobsResponse, _distexec_v1_SubmitJobsRequest__Output, _distexec_v1_SubmitJobsResponse__Output>
  WatchJob: MethodDefinition<_distexec_v1_WatchJobRequest, _distexec_v1_JobEvent, _distexec_v1_WatchJobRequest__Output, _distexec_v1_JobEvent__Output>
  WatchJobs: MethodDefinition<_distexec_v1_WatchJobsRequest, _distexec_v1_JobEvent, _distexec_v1_WatchJobsRequest__Output, _distexec_v1_JobEvent__Output>
}
