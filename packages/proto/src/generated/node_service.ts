import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { Attempt as _distexec_v1_Attempt, Attempt__Output as _distexec_v1_Attempt__Output } from './distexec/v1/Attempt.js';
import type { AttemptRef as _distexec_v1_AttemptRef, AttemptRef__Output as _distexec_v1_AttemptRef__Output } from './distexec/v1/AttemptRef.js';
import type { AttemptReport as _distexec_v1_AttemptReport, AttemptReport__Output as _distexec_v1_AttemptReport__Output } from './distexec/v1/AttemptReport.js';
import type { ClusterStatus as _distexec_v1_ClusterStatus, ClusterStatus__Output as _distexec_v1_ClusterStatus__Output } from './distexec/v1/ClusterStatus.js';
import type { DeregisterRequest as _distexec_v1_DeregisterRequest, DeregisterRequest__Output as _distexec_v1_DeregisterRequest__Output } from './distexec/v1/DeregisterRequest.js';
import type { DeregisterResponse as _distexec_v1_DeregisterResponse, DeregisterResponse__Output as _distexec_v1_DeregisterResponse__Output } from './distexec/v1/DeregisterResponse.js';
import type { DrainNodeRequest as _distexec_v1_DrainNodeRequest, DrainNodeRequest__Output as _distexec_v1_DrainNodeRequest__Output } from './distexec/v1/DrainNodeRequest.js';
import type { GetClusterRequest as _distexec_v1_GetClusterRequest, GetClusterRequest__Output as _distexec_v1_GetClusterRequest__Output } from './distexec/v1/GetClusterRequest.js';
import type { HeartbeatRequest as _distexec_v1_HeartbeatRequest, HeartbeatRequest__Output as _distexec_v1_HeartbeatRequest__Output } from './distexec/v1/HeartbeatRequest.js';
import type { HeartbeatResponse as _distexec_v1_HeartbeatResponse, HeartbeatResponse__Output as _distexec_v1_HeartbeatResponse__Output } from './distexec/v1/HeartbeatResponse.js';
import type { HttpRequestSpec as _distexec_v1_HttpRequestSpec, HttpRequestSpec__Output as _distexec_v1_HttpRequestSpec__Output } from './distexec/v1/HttpRequestSpec.js';
import type { HttpResult as _distexec_v1_HttpResult, HttpResult__Output as _distexec_v1_HttpResult__Output } from './distexec/v1/HttpResult.js';
import type { Job as _distexec_v1_Job, Job__Output as _distexec_v1_Job__Output } from './distexec/v1/Job.js';
import type { JobSpec as _distexec_v1_JobSpec, JobSpec__Output as _distexec_v1_JobSpec__Output } from './distexec/v1/JobSpec.js';
import type { ListNodesRequest as _distexec_v1_ListNodesRequest, ListNodesRequest__Output as _distexec_v1_ListNodesRequest__Output } from './distexec/v1/ListNodesRequest.js';
import type { ListNodesResponse as _distexec_v1_ListNodesResponse, ListNodesResponse__Output as _distexec_v1_ListNodesResponse__Output } from './distexec/v1/ListNodesResponse.js';
import type { MasterInfo as _distexec_v1_MasterInfo, MasterInfo__Output as _distexec_v1_MasterInfo__Output } from './distexec/v1/MasterInfo.js';
import type { Node as _distexec_v1_Node, Node__Output as _distexec_v1_Node__Output } from './distexec/v1/Node.js';
import type { NodeServiceClient as _distexec_v1_NodeServiceClient, NodeServiceDefinition as _distexec_v1_NodeServiceDefinition } from './distexec/v1/NodeService.js';
import type { OutputChunk as _distexec_v1_OutputChunk, OutputChunk__Output as _distexec_v1_OutputChunk__Output } from './distexec/v1/OutputChunk.js';
import type { PriorityCount as _distexec_v1_PriorityCount, PriorityCount__Output as _distexec_v1_PriorityCount__Output } from './distexec/v1/PriorityCount.js';
import type { RegisterRequest as _distexec_v1_RegisterRequest, RegisterRequest__Output as _distexec_v1_RegisterRequest__Output } from './distexec/v1/RegisterRequest.js';
import type { RegisterResponse as _distexec_v1_RegisterResponse, RegisterResponse__Output as _distexec_v1_RegisterResponse__Output } from './distexec/v1/RegisterResponse.js';
import type { UndrainNodeRequest as _distexec_v1_UndrainNodeRequest, UndrainNodeRequest__Output as _distexec_v1_UndrainNodeRequest__Output } from './distexec/v1/UndrainNodeRequest.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  distexec: {
    v1: {
      Attempt: MessageTypeDefinition<_distexec_v1_Attempt, _distexec_v1_Attempt__Output>
      AttemptRef: MessageTypeDefinition<_distexec_v1_AttemptRef, _distexec_v1_AttemptRef__Output>
      AttemptReport: MessageTypeDefinition<_distexec_v1_AttemptReport, _distexec_v1_AttemptReport__Output>
      ClusterStatus: MessageTypeDefinition<_distexec_v1_ClusterStatus, _distexec_v1_ClusterStatus__Output>
      DeregisterRequest: MessageTypeDefinition<_distexec_v1_DeregisterRequest, _distexec_v1_DeregisterRequest__Output>
      DeregisterResponse: MessageTypeDefinition<_distexec_v1_DeregisterResponse, _distexec_v1_DeregisterResponse__Output>
      DrainNodeRequest: MessageTypeDefinition<_distexec_v1_DrainNodeRequest, _distexec_v1_DrainNodeRequest__Output>
      FailureReason: EnumTypeDefinition
      GetClusterRequest: MessageTypeDefinition<_distexec_v1_GetClusterRequest, _distexec_v1_GetClusterRequest__Output>
      HeartbeatRequest: MessageTypeDefinition<_distexec_v1_HeartbeatRequest, _distexec_v1_HeartbeatRequest__Output>
      HeartbeatResponse: MessageTypeDefinition<_distexec_v1_HeartbeatResponse, _distexec_v1_HeartbeatResponse__Output>
      HttpRequestSpec: MessageTypeDefinition<_distexec_v1_HttpRequestSpec, _distexec_v1_HttpRequestSpec__Output>
      HttpResult: MessageTypeDefinition<_distexec_v1_HttpResult, _distexec_v1_HttpResult__Output>
      Job: MessageTypeDefinition<_distexec_v1_Job, _distexec_v1_Job__Output>
      JobSpec: MessageTypeDefinition<_distexec_v1_JobSpec, _distexec_v1_JobSpec__Output>
      JobState: EnumTypeDefinition
      ListNodesRequest: MessageTypeDefinition<_distexec_v1_ListNodesRequest, _distexec_v1_ListNodesRequest__Output>
      ListNodesResponse: MessageTypeDefinition<_distexec_v1_ListNodesResponse, _distexec_v1_ListNodesResponse__Output>
      MasterInfo: MessageTypeDefinition<_distexec_v1_MasterInfo, _distexec_v1_MasterInfo__Output>
      Node: MessageTypeDefinition<_distexec_v1_Node, _distexec_v1_Node__Output>
      NodeService: SubtypeConstructor<typeof grpc.Client, _distexec_v1_NodeServiceClient> & { service: _distexec_v1_NodeServiceDefinition }
      NodeState: EnumTypeDefinition
      OutputChunk: MessageTypeDefinition<_distexec_v1_OutputChunk, _distexec_v1_OutputChunk__Output>
      OutputStream: EnumTypeDefinition
      PriorityCount: MessageTypeDefinition<_distexec_v1_PriorityCount, _distexec_v1_PriorityCount__Output>
      RegisterRequest: MessageTypeDefinition<_distexec_v1_RegisterRequest, _distexec_v1_RegisterRequest__Output>
      RegisterResponse: MessageTypeDefinition<_distexec_v1_RegisterResponse, _distexec_v1_RegisterResponse__Output>
      UndrainNodeRequest: MessageTypeDefinition<_distexec_v1_UndrainNodeRequest, _distexec_v1_UndrainNodeRequest__Output>
    }
  }
}

