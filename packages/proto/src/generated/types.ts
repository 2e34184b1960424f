import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { Attempt as _distexec_v1_Attempt, Attempt__Output as _distexec_v1_Attempt__Output } from './distexec/v1/Attempt.js';
import type { AttemptRef as _distexec_v1_AttemptRef, AttemptRef__Output as _distexec_v1_AttemptRef__Output } from './distexec/v1/AttemptRef.js';
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
      AttemptRef: MessageTypeDefinition<_distexec_v1_AttemptRef, _distexec_v1_AttemptRef__Output>
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

