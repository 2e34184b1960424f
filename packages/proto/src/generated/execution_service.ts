import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { Attempt as _distexec_v1_Attempt, Attempt__Output as _distexec_v1_Attempt__Output } from './distexec/v1/Attempt.js';
import type { AttemptAccepted as _distexec_v1_AttemptAccepted, AttemptAccepted__Output as _distexec_v1_AttemptAccepted__Output } from './distexec/v1/AttemptAccepted.js';
import type { AttemptDeclined as _distexec_v1_AttemptDeclined, AttemptDeclined__Output as _distexec_v1_AttemptDeclined__Output } from './distexec/v1/AttemptDeclined.js';
import type { AttemptFinished as _distexec_v1_AttemptFinished, AttemptFinished__Output as _distexec_v1_AttemptFinished__Output } from './distexec/v1/AttemptFinished.js';
import type { AttemptOutput as _distexec_v1_AttemptOutput, AttemptOutput__Output as _distexec_v1_AttemptOutput__Output } from './distexec/v1/AttemptOutput.js';
import type { AttemptRef as _distexec_v1_AttemptRef, AttemptRef__Output as _distexec_v1_AttemptRef__Output } from './distexec/v1/AttemptRef.js';
import type { AttemptStarted as _distexec_v1_AttemptStarted, AttemptStarted__Output as _distexec_v1_AttemptStarted__Output } from './distexec/v1/AttemptStarted.js';
import type { CancelAttemptRequest as _distexec_v1_CancelAttemptRequest, CancelAttemptRequest__Output as _distexec_v1_CancelAttemptRequest__Output } from './distexec/v1/CancelAttemptRequest.js';
import type { CancelAttemptResponse as _distexec_v1_CancelAttemptResponse, CancelAttemptResponse__Output as _distexec_v1_CancelAttemptResponse__Output } from './distexec/v1/CancelAttemptResponse.js';
import type { DispatchEvent as _distexec_v1_DispatchEvent, DispatchEvent__Output as _distexec_v1_DispatchEvent__Output } from './distexec/v1/DispatchEvent.js';
import type { DispatchRequest as _distexec_v1_DispatchRequest, DispatchRequest__Output as _distexec_v1_DispatchRequest__Output } from './distexec/v1/DispatchRequest.js';
import type { DispatchResponse as _distexec_v1_DispatchResponse, DispatchResponse__Output as _distexec_v1_DispatchResponse__Output } from './distexec/v1/DispatchResponse.js';
import type { ExecuteEvent as _distexec_v1_ExecuteEvent, ExecuteEvent__Output as _distexec_v1_ExecuteEvent__Output } from './distexec/v1/ExecuteEvent.js';
import type { ExecuteRequest as _distexec_v1_ExecuteRequest, ExecuteRequest__Output as _distexec_v1_ExecuteRequest__Output } from './distexec/v1/ExecuteRequest.js';
import type { ExecutionServiceClient as _distexec_v1_ExecutionServiceClient, ExecutionServiceDefinition as _distexec_v1_ExecutionServiceDefinition } from './distexec/v1/ExecutionService.js';
import type { HttpRequestSpec as _distexec_v1_HttpRequestSpec, HttpRequestSpec__Output as _distexec_v1_HttpRequestSpec__Output } from './distexec/v1/HttpRequestSpec.js';
import type { HttpResult as _distexec_v1_HttpResult, HttpResult__Output as _distexec_v1_HttpResult__Output } from './distexec/v1/HttpResult.js';
import type { Job as _distexec_v1_Job, Job__Output as _distexec_v1_Job__Output } from './distexec/v1/Job.js';
import type { JobSpec as _distexec_v1_JobSpec, JobSpec__Output as _distexec_v1_JobSpec__Output } from './distexec/v1/JobSpec.js';
import type { Node as _distexec_v1_Node, Node__Output as _distexec_v1_Node__Output } from './distexec/v1/Node.js';
import type { OutputChunk as _distexec_v1_OutputChunk, OutputChunk__Output as _distexec_v1_OutputChunk__Output } from './distexec/v1/OutputChunk.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  distexec: {
    v1: {
      Attempt: MessageTypeDefinition<_distexec_v1_Attempt, _distexec_v1_Attempt__Output>
      AttemptAccepted: MessageTypeDefinition<_distexec_v1_AttemptAccepted, _distexec_v1_AttemptAccepted__Output>
      AttemptDeclined: MessageTypeDefinition<_distexec_v1_AttemptDeclined, _distexec_v1_AttemptDeclined__Output>
      AttemptFinished: MessageTypeDefinition<_distexec_v1_AttemptFinished, _distexec_v1_AttemptFinished__Output>
      AttemptOutput: MessageTypeDefinition<_distexec_v1_AttemptOutput, _distexec_v1_AttemptOutput__Output>
      AttemptRef: MessageTypeDefinition<_distexec_v1_AttemptRef, _distexec_v1_AttemptRef__Output>
      AttemptStarted: MessageTypeDefinition<_distexec_v1_AttemptStarted, _distexec_v1_AttemptStarted__Output>
      CancelAttemptRequest: MessageTypeDefinition<_distexec_v1_CancelAttemptRequest, _distexec_v1_CancelAttemptRequest__Output>
      CancelAttemptResponse: MessageTypeDefinition<_distexec_v1_CancelAttemptResponse, _distexec_v1_CancelAttemptResponse__Output>
      DispatchEvent: MessageTypeDefinition<_distexec_v1_DispatchEvent, _distexec_v1_DispatchEvent__Output>
      DispatchRequest: MessageTypeDefinition<_distexec_v1_DispatchRequest, _distexec_v1_DispatchRequest__Output>
      DispatchResponse: MessageTypeDefinition<_distexec_v1_DispatchResponse, _distexec_v1_DispatchResponse__Output>
      ExecuteEvent: MessageTypeDefinition<_distexec_v1_ExecuteEvent, _distexec_v1_ExecuteEvent__Output>
      ExecuteRequest: MessageTypeDefinition<_distexec_v1_ExecuteRequest, _distexec_v1_ExecuteRequest__Output>
      ExecutionService: SubtypeConstructor<typeof grpc.Client, _distexec_v1_ExecutionServiceClient> & { service: _distexec_v1_ExecutionServiceDefinition }
      FailureReason: EnumTypeDefinition
      HttpRequestSpec: MessageTypeDefinition<_distexec_v1_HttpRequestSpec, _distexec_v1_HttpRequestSpec__Output>
      HttpResult: MessageTypeDefinition<_distexec_v1_HttpResult, _distexec_v1_HttpResult__Output>
      Job: MessageTypeDefinition<_distexec_v1_Job, _distexec_v1_Job__Output>
      JobSpec: MessageTypeDefinition<_distexec_v1_JobSpec, _distexec_v1_JobSpec__Output>
      JobState: EnumTypeDefinition
      Node: MessageTypeDefinition<_distexec_v1_Node, _distexec_v1_Node__Output>
      NodeState: EnumTypeDefinition
      OutputChunk: MessageTypeDefinition<_distexec_v1_OutputChunk, _distexec_v1_OutputChunk__Output>
      OutputStream: EnumTypeDefinition
    }
  }
}

