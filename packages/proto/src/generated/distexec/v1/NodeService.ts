// Original file: proto/distexec/v1/node_service.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { ClusterStatus as _distexec_v1_ClusterStatus, ClusterStatus__Output as _distexec_v1_ClusterStatus__Output } from '../../distexec/v1/ClusterStatus.js';
import type { DeregisterRequest as _distexec_v1_DeregisterRequest, DeregisterRequest__Output as _distexec_v1_DeregisterRequest__Output } from '../../distexec/v1/DeregisterRequest.js';
import type { DeregisterResponse as _distexec_v1_DeregisterResponse, DeregisterResponse__Output as _distexec_v1_DeregisterResponse__Output } from '../../distexec/v1/DeregisterResponse.js';
import type { DrainNodeRequest as _distexec_v1_DrainNodeRequest, DrainNodeRequest__Output as _distexec_v1_DrainNodeRequest__Output } from '../../distexec/v1/DrainNodeRequest.js';
import type { GetClusterRequest as _distexec_v1_GetClusterRequest, GetClusterRequest__Output as _distexec_v1_GetClusterRequest__Output } from '../../distexec/v1/GetClusterRequest.js';
import type { HeartbeatRequest as _distexec_v1_HeartbeatRequest, HeartbeatRequest__Output as _distexec_v1_HeartbeatRequest__Output } from '../../distexec/v1/HeartbeatRequest.js';
import type { HeartbeatResponse as _distexec_v1_HeartbeatResponse, HeartbeatResponse__Output as _distexec_v1_HeartbeatResponse__Output } from '../../distexec/v1/HeartbeatResponse.js';
import type { ListNodesRequest as _distexec_v1_ListNodesRequest, ListNodesRequest__Output as _distexec_v1_ListNodesRequest__Output } from '../../distexec/v1/ListNodesRequest.js';
import type { ListNodesResponse as _distexec_v1_ListNodesResponse, ListNodesResponse__Output as _distexec_v1_ListNodesResponse__Output } from '../../distexec/v1/ListNodesResponse.js';
import type { Node as _distexec_v1_Node, Node__Output as _distexec_v1_Node__Output } from '../../distexec/v1/Node.js';
import type { RegisterRequest as _distexec_v1_RegisterRequest, RegisterRequest__Output as _distexec_v1_RegisterRequest__Output } from '../../distexec/v1/RegisterRequest.js';
import type { RegisterResponse as _distexec_v1_RegisterResponse, RegisterResponse__Output as _distexec_v1_RegisterResponse__Output } from '../../distexec/v1/RegisterResponse.js';
import type { UndrainNodeRequest as _distexec_v1_UndrainNodeRequest, UndrainNodeRequest__Output as _distexec_v1_UndrainNodeRequest__Output } from '../../distexec/v1/UndrainNodeRequest.js';

export interface NodeServiceClient extends grpc.Client {
  Deregister(argument: _distexec_v1_DeregisterRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_distexec_v1_DeregisterResponse__Output>): grpc.ClientUnaryCall;
  Deregister(argument: _distexec_v1_DeregisterRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_distexec_v1_DeregisterResponse__Output>): grpc.ClientUnaryCall;
  Deregister(argument: _distexec_v1_DeregisterRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_distexec_v1_DeregisterResponse__Output>): grpc.ClientUnaryCall;
  Deregister(argument: _distexec_v1_DeregisterRequest, callback: grpc.requestCallback<_distexec_v1_DeregisterResponse__Output>): grpc.ClientUnaryCall;
  deregister(argument: _distexec_v1_DeregisterRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_distexec_v1_DeregisterResponse__Output>): grpc.ClientUnaryCall;
  deregister(argument: _distexec_v1_DeregisterRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_distexec_v1_DeregisterResponse__Output>): grpc.ClientUnaryCall;
  deregister(argument: _distexec_v1_DeregisterRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_distexec_v1_DeregisterResponse__Output>): grpc.ClientUnaryCall;
  deregister(argument: _distexec_v1_DeregisterRequest, callback: grpc.requestCallback<_distexec_v1_DeregisterResponse__Output>): grpc.ClientUnaryCall;
  
  DrainNode(argument: _distexec_v1_DrainNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_distexec_v1_Node__Output>): grpc.ClientUnaryCall;
  DrainNode(argument: _distexec_v1_DrainNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_distexec_v1_Node__Output>): grpc.ClientUnaryCall;
  DrainNode(argument: _distexec_v1_DrainNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_distexec_v1_Node__Output>): grpc.ClientUnaryCall;
  DrainNode(argument: _distexec_v1_DrainNodeRequest, callback: grpc.requestCallback<_distexec_v1_Node__Output>): grpc.ClientUnaryCall;
  drainNode(argument: _distexec_v1_DrainNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_distexec_v1_Node__Output>): grpc.ClientUnaryCall;
  drainNode(argument: _distexec_v1_DrainNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_distexec_v1_Node__Output>): grpc.ClientUnaryCall;
  drainNode(argument: _distexec_v1_DrainNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_distexec_v1_Node__Output>): grpc.ClientUnaryCall;
  drainNode(argument: _distexec_v1_DrainNodeRequest, callback: grpc.requestCallback<_distexec_v1_Node__Output>): grpc.ClientUnaryCall;
  
  GetCluster(argument: _distexec_v1_GetClusterRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_distexec_v1_ClusterStatus__Output>): grpc.ClientUnaryCall;
  GetCluster(argument: _distexec_v1_GetClusterRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_distexec_v1_ClusterStatus__Output>): grpc.ClientUnaryCall;
  GetCluster(argument: _distexec_v1_GetClusterRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_distexec_v1_ClusterStatus__Output>): grpc.ClientUnaryCall;
  GetCluster(argument: _distexec_v1_GetClusterRequest, callback: grpc.requestCallback<_distexec_v1_ClusterStatus__Output>): grpc.ClientUnaryCall;
  getCluster(argument: _distexec_v1_GetClusterRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_distexec_v1_ClusterStatus__Output>): grpc.ClientUnaryCall;
  getCluster(argument: _distexec_v1_GetClusterRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_distexec_v1_ClusterStatus__Output>): grpc.ClientUnaryCall;
  getCluster(argument: _distexec_v1_GetClusterRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_distexec_v1_ClusterStatus__Output>): grpc.ClientUnaryCall;
  getCluster(argument: _distexec_v1_GetClusterRequest, callback: grpc.requestCallback<_distexec_v1_ClusterStatus__Output>): grpc.ClientUnaryCall;
  
  Heartbeat(argument: _distexec_v1_HeartbeatRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_distexec_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  Heartbeat(argument: _distexec_v1_HeartbeatRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_distexec_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  Heartbeat(argument: _distexec_v1_HeartbeatRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_distexec_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  Heartbeat(argument: _distexec_v1_HeartbeatRequest, callback: grpc.requestCallback<_distexec_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  heartbeat(argument: _distexec_v1_HeartbeatRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_distexec_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  heartbeat(argument: _distexec_v1_HeartbeatRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_distexec_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  heartbeat(argument: _distexec_v1_HeartbeatRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_distexec_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  heartbeat(argument: _distexec_v1_HeartbeatRequest, callback: grpc.requestCallback<_distexec_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  
  Heartbeats(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_distexec_v1_HeartbeatRequest, _distexec_v1_HeartbeatResponse__Output>;
  Heartbeats(options?: grpc.CallOptions): grpc.ClientDuplexStream<_distexec_v1_HeartbeatRequest, _distexec_v1_HeartbeatResponse__Output>;
  heartbeats(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_distexec_v1_HeartbeatRequest, _distexec_v1_HeartbeatResponse__Output>;
  heartbeats(options?: grpc.CallOptions): grpc.ClientDuplexStream<_distexec_v1_HeartbeatRequest, _distexec_v1_HeartbeatResponse__Output>;
  
  ListNodes(argument: _distexec_v1_ListNodesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_distexec_v1_ListNodesResponse__Output>): grpc.ClientUnaryCall;
  ListNodes(argument: _distexec_v1_ListNodesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_distexec_v1_ListNodesResponse__Output>): grpc.ClientUnaryCall;
  ListNodes(argument: _distexec_v1_ListNodesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_distexec_v1_ListNodesResponse__Output>): grpc.ClientUnaryCall;
  ListNodes(argument: _distexec_v1_ListNodesRequest, callback: grpc.requestCallback<_distexec_v1_ListNodesResponse__Output>): grpc.ClientUnaryCall;
  listNodes(argument: _distexec_v1_ListNodesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_distexec_v1_ListNodesResponse__Output>): grpc.ClientUnaryCall;
  listNodes(argument: _distexec_v1_ListNodesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_distexec_v1_ListNodesResponse__Output>): grpc.ClientUnaryCall;
  listNodes(argument: _distexec_v1_ListNodesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_distexec_v1_ListNodesResponse__Output>): grpc.ClientUnaryCall;
  listNodes(argument: _distexec_v1_ListNodesRequest, callback: grpc.requestCallback<_distexec_v1_ListNodesResponse__Output>): grpc.ClientUnaryCall;
  
  Register(argument: _distexec_v1_RegisterRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_distexec_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  Register(argument: _distexec_v1_RegisterRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_distexec_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  Register(argument: _distexec_v1_RegisterRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_distexec_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  Register(argument: _distexec_v1_RegisterRequest, callback: grpc.requestCallback<_distexec_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  register(argument: _distexec_v1_RegisterRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_distexec_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  register(argument: _distexec_v1_RegisterRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_distexec_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  register(argument: _distexec_v1_RegisterRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_distexec_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  register(argument: _distexec_v1_RegisterRequest, callback: grpc.requestCallback<_distexec_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  
  UndrainNode(argument: _distexec_v1_UndrainNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_distexec_v1_Node__Output>): grpc.ClientUnaryCall;
  UndrainNode(argument: _distexec_v1_UndrainNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_distexec_v1_Node__Output>): grpc.ClientUnaryCall;
  UndrainNode(argument: _distexec_v1_UndrainNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_distexec_v1_Node__Output>): grpc.ClientUnaryCall;
  UndrainNode(argument: _distexec_v1_UndrainNodeRequest, callback: grpc.requestCallback<_distexec_v1_Node__Output>): grpc.ClientUnaryCall;
  undrainNode(argument: _distexec_v1_UndrainNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_distexec_v1_Node__Output>): grpc.ClientUnaryCall;
  undrainNode(argument: _distexec_v1_UndrainNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_distexec_v1_Node__Output>): grpc.ClientUnaryCall;
  undrainNode(argument: _distexec_v1_UndrainNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_distexec_v1_Node__Output>): grpc.ClientUnaryCall;
  undrainNode(argument: _distexec_v1_UndrainNodeRequest, callback: grpc.requestCallback<_distexec_v1_Node__Output>): grpc.ClientUnaryCall;
  
}

export interface NodeServiceHandlers extends grpc.UntypedServiceImplementation {
  Deregister: grpc.handleUnaryCall<_distexec_v1_DeregisterRequest__Output, _distexec_v1_DeregisterResponse>;
  
  DrainNode: grpc.handleUnaryCall<_distexec_v1_DrainNodeRequest__Output, _distexec_v1_Node>;
  
  GetCluster: grpc.handleUnaryCall<_distexec_v1_GetClusterRequest__Output, _distexec_v1_ClusterStatus>;
  
  Heartbeat: grpc.handleUnaryCall<_distexec_v1_HeartbeatRequest__Output, _distexec_v1_HeartbeatResponse>;
  
  Heartbeats: grpc.handleBidiStreamingCall<_distexec_v1_HeartbeatRequest__Output, _distexec_v1_HeartbeatResponse>;
  
  ListNodes: grpc.handleUnaryCall<_distexec_v1_ListNodesRequest__Output, _distexec_v1_ListNodesResponse>;
  
  Register: grpc.handleUnaryCall<_distexec_v1_RegisterRequest__Output, _distexec_v1_RegisterResponse>;
  
  UndrainNode: grpc.handleUnaryCall<_distexec_v1_UndrainNodeRequest__Output, _distexec_v1_Node>;
  
}

export interface NodeServiceDefinition extends grpc.ServiceDefinition {
  Deregister: MethodDefinition<_distexec_v1_DeregisterRequest, _distexec_v1_DeregisterResponse, _distexec_v1_DeregisterRequest__Output, _distexec_v1_DeregisterResponse__Output>
  DrainNode: MethodDefinition<_distexec_v1_DrainNodeRequest, _distexec_v1_Node, _distexec_v1_DrainNodeRequest__Output, _distexec_v1_Node__Output>
  GetCluster: MethodDefinition<_distexec_v1_GetClusterRequest, _distexec_v1_ClusterStatus, _distexec_v1_GetClusterRequest__Output, _distexec_v1_ClusterStatus__Output>
  Heartbeat: MethodDefinition<_distexec_v1_HeartbeatRequest, _distexec_v1_HeartbeatResponse, _distexec_v1_HeartbeatRequest__Output, _distexec_v1_HeartbeatResponse__Output>
  Heartbeats: MethodDefinition<_distexec_v1_HeartbeatRequest, _distexec_v1_HeartbeatResponse, _distexec_v1_HeartbeatRequest__Output, _distexec_v1_HeartbeatResponse__Output>
  ListNodes: MethodDefinition<_distexec_v1_ListNodesRequest, _distexec_v1_ListNodesResponse, _distexec_v1_ListNodesRequest__Output, _distexec_v1_ListNodesResponse__Output>
  Register: MethodDefinition<_distexec_v1_RegisterRequest, _distexec_v1_RegisterResponse, _distexec_v1_RegisterRequest__Output, _distexec_v1_RegisterResponse__Output>
  UndrainNode: MethodDefinition<_distexec_v1_UndrainNodeRequest, _distexec_v1_Node, _distexec_v1_UndrainNodeRequest__Output, _distexec_v1_Node__Output>
}
