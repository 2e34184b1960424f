// Original file: proto/distexec/v1/execution_service.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { CancelAttemptRequest as _distexec_v1_CancelAttemptRequest, CancelAttemptRequest__Output as _distexec_v1_CancelAttemptRequest__Output } from '../../distexec/v1/CancelAttemptRequest.js';
import type { CancelAttemptResponse as _distexec_v1_CancelAttemptResponse, CancelAttemptResponse__Output as _distexec_v1_CancelAttemptResponse__Output } from '../../distexec/v1/CancelAttemptResponse.js';
import type { DispatchRequest as _distexec_v1_DispatchRequest, DispatchRequest__Output as _distexec_v1_DispatchRequest__Output } from '../../distexec/v1/DispatchRequest.js';
import type { DispatchResponse as _distexec_v1_DispatchResponse, DispatchResponse__Output as _distexec_v1_DispatchResponse__Output } from '../../distexec/v1/DispatchResponse.js';
import type { ExecuteEvent as _distexec_v1_ExecuteEvent, ExecuteEvent__Output as _distexec_v1_ExecuteEvent__Output } from '../../distexec/v1/ExecuteEvent.js';
import type { ExecuteRequest as _distexec_v1_ExecuteRequest, ExecuteRequest__Output as _distexec_v1_ExecuteRequest__Output } from '../../distexec/v1/ExecuteRequest.js';

export interface ExecutionServiceClient extends grpc.Client {
  Cancel(argument: _distexec_v1_CancelAttemptRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_distexec_v1_CancelAttemptResponse__Output>): grpc.ClientUnaryCall;
  Cancel(argument: _distexec_v1_CancelAttemptRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_distexec_v1_CancelAttemptResponse__Output>): grpc.ClientUnaryCall;
  Cancel(argument: _distexec_v1_CancelAttemptRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_distexec_v1_CancelAttemptResponse__Output>): grpc.ClientUnaryCall;
  Cancel(argument: _distexec_v1_CancelAttemptRequest, callback: grpc.requestCallback<_distexec_v1_CancelAttemptResponse__Output>): grpc.ClientUnaryCall;
  cancel(argument: _distexec_v1_CancelAttemptRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_distexec_v1_CancelAttemptResponse__Output>): grpc.ClientUnaryCall;
  cancel(argument: _distexec_v1_CancelAttemptRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_distexec_v1_CancelAttemptResponse__Output>): grpc.ClientUnaryCall;
  cancel(argument: _distexec_v1_CancelAttemptRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_distexec_v1_CancelAttemptResponse__Output>): grpc.ClientUnaryCall;
  cancel(argument: _distexec_v1_CancelAttemptRequest, callback: grpc.requestCallback<_distexec_v1_CancelAttemptResponse__Output>): grpc.ClientUnaryCall;
  
  Dispatch(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_distexec_v1_DispatchRequest, _distexec_v1_DispatchResponse__Output>;
  Dispatch(options?: grpc.CallOptions): grpc.ClientDuplexStream<_distexec_v1_DispatchRequest, _distexec_v1_DispatchResponse__Output>;
  dispatch(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_distexec_v1_DispatchRequest, _distexec_v1_DispatchResponse__Output>;
  dispatch(options?: grpc.CallOptions): grpc.ClientDuplexStream<_distexec_v1_DispatchRequest, _distexec_v1_DispatchResponse__Output>;
  
  Execute(argument: _distexec_v1_ExecuteRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_distexec_v1_ExecuteEvent__Output>;
  Execute(argument: _distexec_v1_ExecuteRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_distexec_v1_ExecuteEvent__Output>;
  execute(argument: _distexec_v1_ExecuteRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_distexec_v1_ExecuteEvent__Output>;
  execute(argument: _distexec_v1_ExecuteRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_distexec_v1_ExecuteEvent__Output>;
  
}

export interface ExecutionServiceHandlers extends grpc.UntypedServiceImplementation {
  Cancel: grpc.handleUnaryCall<_distexec_v1_CancelAttemptRequest__Output, _distexec_v1_CancelAttemptResponse>;
  
  Dispatch: grpc.handleBidiStreamingCall<_distexec_v1_DispatchRequest__Output, _distexec_v1_DispatchResponse>;
  
  Execute: grpc.handleServerStreamingCall<_distexec_v1_ExecuteRequest__Output, _distexec_v1_ExecuteEvent>;
  
}

export interface ExecutionServiceDefinition extends grpc.ServiceDefinition {
  Cancel: MethodDefinition<_distexec_v1_CancelAttemptRequest, _distexec_v1_CancelAttemptResponse, _distexec_v1_CancelAttemptRequest__Output, _distexec_v1_CancelAttemptResponse__Output>
  Dispatch: MethodDefinition<_distexec_v1_DispatchRequest, _distexec_v1_DispatchResponse, _distexec_v1_DispatchRequest__Output, _distexec_v1_DispatchResponse__Output>
  Execute: MethodDefinition<_distexec_v1_ExecuteRequest, _distexec_v1_ExecuteEvent, _distexec_v1_ExecuteRequest__Output, _distexec_v1_ExecuteEvent__Output>
}
