// Re-exports the generated message types under one namespace (`wire.Job`, ...),
// so adapters say plainly when they handle the wire form.
export type { Attempt, Attempt__Output } from './generated/distexec/v1/Attempt.js';
export type { AttemptFinished, AttemptFinished__Output } from './generated/distexec/v1/AttemptFinished.js';
export type { AttemptRef, AttemptRef__Output } from './generated/distexec/v1/AttemptRef.js';
export type { AttemptReport, AttemptReport__Output } from './generated/distexec/v1/AttemptReport.js';
export type {
  CancelAttemptRequest,
  CancelAttemptRequest__Output,
} from './generated/distexec/v1/CancelAttemptRequest.js';
export type {
  CancelAttemptResponse,
  CancelAttemptResponse__Output,
} from './generated/distexec/v1/CancelAttemptResponse.js';
export type { ExecuteEvent, ExecuteEvent__Output } from './generated/distexec/v1/ExecuteEvent.js';
export type { ExecuteRequest, ExecuteRequest__Output } from './generated/distexec/v1/ExecuteRequest.js';
export type { HeartbeatRequest, HeartbeatRequest__Output } from './generated/distexec/v1/HeartbeatRequest.js';
export type { HeartbeatResponse, HeartbeatResponse__Output } from './generated/distexec/v1/HeartbeatResponse.js';
export type { Job, Job__Output } from './generated/distexec/v1/Job.js';
export type { JobEvent, JobEvent__Output } from './generated/distexec/v1/JobEvent.js';
export type { JobSpec, JobSpec__Output } from './generated/distexec/v1/JobSpec.js';
export type { ListJobsRequest, ListJobsRequest__Output } from './generated/distexec/v1/ListJobsRequest.js';
export type { ListJobsResponse, ListJobsResponse__Output } from './generated/distexec/v1/ListJobsResponse.js';
export type { Node, Node__Output } from './generated/distexec/v1/Node.js';
export type { OutputChunk, OutputChunk__Output } from './generated/distexec/v1/OutputChunk.js';
export type { RegisterRequest, RegisterRequest__Output } from './generated/distexec/v1/RegisterRequest.js';
export type { RegisterResponse, RegisterResponse__Output } from './generated/distexec/v1/RegisterResponse.js';
export type { WatchJobRequest, WatchJobRequest__Output } from './generated/distexec/v1/WatchJobRequest.js';
export type { WatchJobsRequest, WatchJobsRequest__Output } from './generated/distexec/v1/WatchJobsRequest.js';
export type { AttemptOutput, AttemptOutput__Output } from './generated/distexec/v1/AttemptOutput.js';
export type { AttemptStarted, AttemptStarted__Output } from './generated/distexec/v1/AttemptStarted.js';
export type { CancelJobRequest, CancelJobRequest__Output } from './generated/distexec/v1/CancelJobRequest.js';
export type { DeregisterRequest, DeregisterRequest__Output } from './generated/distexec/v1/DeregisterRequest.js';
export type { DrainNodeRequest, DrainNodeRequest__Output } from './generated/distexec/v1/DrainNodeRequest.js';
export type { GetJobRequest, GetJobRequest__Output } from './generated/distexec/v1/GetJobRequest.js';
export type { ListNodesResponse, ListNodesResponse__Output } from './generated/distexec/v1/ListNodesResponse.js';
export type { SubmitJobRequest, SubmitJobRequest__Output } from './generated/distexec/v1/SubmitJobRequest.js';
export type { SubmitJobResponse, SubmitJobResponse__Output } from './generated/distexec/v1/SubmitJobResponse.js';
export type { SubmitJobsRequest, SubmitJobsRequest__Output } from './generated/distexec/v1/SubmitJobsRequest.js';
export type { SubmitJobsResponse, SubmitJobsResponse__Output } from './generated/distexec/v1/SubmitJobsResponse.js';
export type { UndrainNodeRequest, UndrainNodeRequest__Output } from './generated/distexec/v1/UndrainNodeRequest.js';
export type { ClusterStatus, ClusterStatus__Output } from './generated/distexec/v1/ClusterStatus.js';
export type { AttemptAccepted, AttemptAccepted__Output } from './generated/distexec/v1/AttemptAccepted.js';
export type { AttemptDeclined, AttemptDeclined__Output } from './generated/distexec/v1/AttemptDeclined.js';
export type { DispatchEvent, DispatchEvent__Output } from './generated/distexec/v1/DispatchEvent.js';
export type { DispatchRequest, DispatchRequest__Output } from './generated/distexec/v1/DispatchRequest.js';
export type { DispatchResponse, DispatchResponse__Output } from './generated/distexec/v1/DispatchResponse.js';
export type { RunJobEvent, RunJobEvent__Output } from './generated/distexec/v1/RunJobEvent.js';
export type { RunJobRequest, RunJobRequest__Output } from './generated/distexec/v1/RunJobRequest.js';
export type { CreateTokenRequest, CreateTokenRequest__Output } from './generated/distexec/v1/CreateTokenRequest.js';
export type { CreateTokenResponse, CreateTokenResponse__Output } from './generated/distexec/v1/CreateTokenResponse.js';
export type { ListTokensRequest, ListTokensRequest__Output } from './generated/distexec/v1/ListTokensRequest.js';
export type { ListTokensResponse, ListTokensResponse__Output } from './generated/distexec/v1/ListTokensResponse.js';
export type { RevokeTokenRequest, RevokeTokenRequest__Output } from './generated/distexec/v1/RevokeTokenRequest.js';
export type { RevokeTokenResponse, RevokeTokenResponse__Output } from './generated/distexec/v1/RevokeTokenResponse.js';
export type { TokenInfo, TokenInfo__Output } from './generated/distexec/v1/TokenInfo.js';
export type { DeregisterResponse, DeregisterResponse__Output } from './generated/distexec/v1/DeregisterResponse.js';
