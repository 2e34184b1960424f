// Original file: proto/distexec/v1/token_service.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { CreateTokenRequest as _distexec_v1_CreateTokenRequest, CreateTokenRequest__Output as _distexec_v1_CreateTokenRequest__Output } from '../../distexec/v1/CreateTokenRequest.js';
import type { CreateTokenResponse as _distexec_v1_CreateTokenResponse, CreateTokenResponse__Output as _distexec_v1_CreateTokenResponse__Output } from '../../distexec/v1/CreateTokenResponse.js';
import type { ListTokensRequest as _distexec_v1_ListTokensRequest, ListTokensRequest__Output as _distexec_v1_ListTokensRequest__Output } from '../../distexec/v1/ListTokensRequest.js';
import type { ListTokensResponse as _distexec_v1_ListTokensResponse, ListTokensResponse__Output as _distexec_v1_ListTokensResponse__Output } from '../../distexec/v1/ListTokensResponse.js';
import type { RevokeTokenRequest as _distexec_v1_RevokeTokenRequest, RevokeTokenRequest__Output as _distexec_v1_RevokeTokenRequest__Output } from '../../distexec/v1/RevokeTokenRequest.js';
import type { RevokeTokenResponse as _distexec_v1_RevokeTokenResponse, RevokeTokenResponse__Output as _distexec_v1_RevokeTokenResponse__Output } from '../../distexec/v1/RevokeTokenResponse.js';

export interface TokenServiceClient extends grpc.Client {
  CreateToken(argument: _distexec_v1_CreateTokenRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_distexec_v1_CreateTokenResponse__Output>): grpc.ClientUnaryCall;
  CreateToken(argument: _distexec_v1_CreateTokenRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_distexec_v1_CreateTokenResponse__Output>): grpc.ClientUnaryCall;
  CreateToken(argument: _distexec_v1_CreateTokenRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_distexec_v1_CreateTokenResponse__Output>): grpc.ClientUnaryCall;
  CreateToken(argument: _distexec_v1_CreateTokenRequest, callback: grpc.requestCallback<_distexec_v1_CreateTokenResponse__Output>): grpc.ClientUnaryCall;
  createToken(argument: _distexec_v1_CreateTokenRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_distexec_v1_CreateTokenResponse__Output>): grpc.ClientUnaryCall;
  createToken(argument: _distexec_v1_CreateTokenRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_distexec_v1_CreateTokenResponse__Output>): grpc.ClientUnaryCall;
  createToken(argument: _distexec_v1_CreateTokenRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_distexec_v1_CreateTokenResponse__Output>): grpc.ClientUnaryCall;
  createToken(argument: _distexec_v1_CreateTokenRequest, callback: grpc.requestCallback<_distexec_v1_CreateTokenResponse__Output>): grpc.ClientUnaryCall;
  
  ListTokens(argument: _distexec_v1_ListTokensRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_distexec_v1_ListTokensResponse__Output>): grpc.ClientUnaryCall;
  ListTokens(argument: _distexec_v1_ListTokensRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_distexec_v1_ListTokensResponse__Output>): grpc.ClientUnaryCall;
  ListTokens(argument: _distexec_v1_ListTokensRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_distexec_v1_ListTokensResponse__Output>): grpc.ClientUnaryCall;
  ListTokens(argument: _distexec_v1_ListTokensRequest, callback: grpc.requestCallback<_distexec_v1_ListTokensResponse__Output>): grpc.ClientUnaryCall;
  listTokens(argument: _distexec_v1_ListTokensRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_distexec_v1_ListTokensResponse__Output>): grpc.ClientUnaryCall;
  listTokens(argument: _distexec_v1_ListTokensRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_distexec_v1_ListTokensResponse__Output>): grpc.ClientUnaryCall;
  listTokens(argument: _distexec_v1_ListTokensRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_distexec_v1_ListTokensResponse__Output>): grpc.ClientUnaryCall;
  listTokens(argument: _distexec_v1_ListTokensRequest, callback: grpc.requestCallback<_distexec_v1_ListTokensResponse__Output>): grpc.ClientUnaryCall;
  
  RevokeToken(argument: _distexec_v1_RevokeTokenRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_distexec_v1_RevokeTokenResponse__Output>): grpc.ClientUnaryCall;
  RevokeToken(argument: _distexec_v1_RevokeTokenRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_distexec_v1_RevokeTokenResponse__Output>): grpc.ClientUnaryCall;
  RevokeToken(argument: _distexec_v1_RevokeTokenRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_distexec_v1_RevokeTokenResponse__Output>): grpc.ClientUnaryCall;
  RevokeToken(argument: _distexec_v1_RevokeTokenRequest, callback: grpc.requestCallback<_distexec_v1_RevokeTokenResponse__Output>): grpc.ClientUnaryCall;
  revokeToken(argument: _distexec_v1_RevokeTokenRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_distexec_v1_RevokeTokenResponse__Output>): grpc.ClientUnaryCall;
  revokeToken(argument: _distexec_v1_RevokeTokenRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_distexec_v1_RevokeTokenResponse__Output>): grpc.ClientUnaryCall;
  revokeToken(argument: _distexec_v1_RevokeTokenRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_distexec_v1_RevokeTokenResponse__Output>): grpc.ClientUnaryCall;
  revokeToken(argument: _distexec_v1_RevokeTokenRequest, callback: grpc.requestCallback<_distexec_v1_RevokeTokenResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface TokenServiceHandlers extends grpc.UntypedServiceImplementation {
  CreateToken: grpc.handleUnaryCall<_distexec_v1_CreateTokenRequest__Output, _distexec_v1_CreateTokenResponse>;
  
  ListTokens: grpc.handleUnaryCall<_distexec_v1_ListTokensRequest__Output, _distexec_v1_ListTokensResponse>;
  
  RevokeToken: grpc.handleUnaryCall<_distexec_v1_RevokeTokenRequest__Output, _distexec_v1_RevokeTokenResponse>;
  
}

export interface TokenServiceDefinition extends grpc.ServiceDefinition {
  CreateToken: MethodDefinition<_distexec_v1_CreateTokenRequest, _distexec_v1_CreateTokenResponse, _distexec_v1_CreateTokenRequest__Output, _distexec_v1_CreateTokenResponse__Output>
  ListTokens: MethodDefinition<_distexec_v1_ListTokensRequest, _distexec_v1_ListTokensResponse, _distexec_v1_ListTokensRequest__Output, _distexec_v1_ListTokensResponse__Output>
  RevokeToken: MethodDefinition<_distexec_v1_RevokeTokenRequest, _distexec_v1_RevokeTokenResponse, _distexec_v1_RevokeTokenRequest__Output, _distexec_v1_RevokeTokenResponse__Output>
}
