import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { CreateTokenRequest as _distexec_v1_CreateTokenRequest, CreateTokenRequest__Output as _distexec_v1_CreateTokenRequest__Output } from './distexec/v1/CreateTokenRequest.js';
import type { CreateTokenResponse as _distexec_v1_CreateTokenResponse, CreateTokenResponse__Output as _distexec_v1_CreateTokenResponse__Output } from './distexec/v1/CreateTokenResponse.js';
import type { ListTokensRequest as _distexec_v1_ListTokensRequest, ListTokensRequest__Output as _distexec_v1_ListTokensRequest__Output } from './distexec/v1/ListTokensRequest.js';
import type { ListTokensResponse as _distexec_v1_ListTokensResponse, ListTokensResponse__Output as _distexec_v1_ListTokensResponse__Output } from './distexec/v1/ListTokensResponse.js';
import type { RevokeTokenRequest as _distexec_v1_RevokeTokenRequest, RevokeTokenRequest__Output as _distexec_v1_RevokeTokenRequest__Output } from './distexec/v1/RevokeTokenRequest.js';
import type { RevokeTokenResponse as _distexec_v1_RevokeTokenResponse, RevokeTokenResponse__Output as _distexec_v1_RevokeTokenResponse__Output } from './distexec/v1/RevokeTokenResponse.js';
import type { TokenInfo as _distexec_v1_TokenInfo, TokenInfo__Output as _distexec_v1_TokenInfo__Output } from './distexec/v1/TokenInfo.js';
import type { TokenServiceClient as _distexec_v1_TokenServiceClient, TokenServiceDefinition as _distexec_v1_TokenServiceDefinition } from './distexec/v1/TokenService.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  distexec: {
    v1: {
      CreateTokenRequest: MessageTypeDefinition<_distexec_v1_CreateTokenRequest, _distexec_v1_CreateTokenRequest__Output>
      CreateTokenResponse: MessageTypeDefinition<_distexec_v1_CreateTokenResponse, _distexec_v1_CreateTokenResponse__Output>
      ListTokensRequest: MessageTypeDefinition<_distexec_v1_ListTokensRequest, _distexec_v1_ListTokensRequest__Output>
      ListTokensResponse: MessageTypeDefinition<_distexec_v1_ListTokensResponse, _distexec_v1_ListTokensResponse__Output>
      RevokeTokenRequest: MessageTypeDefinition<_distexec_v1_RevokeTokenRequest, _distexec_v1_RevokeTokenRequest__Output>
      RevokeTokenResponse: MessageTypeDefinition<_distexec_v1_RevokeTokenResponse, _distexec_v1_RevokeTokenResponse__Output>
      TokenInfo: MessageTypeDefinition<_distexec_v1_TokenInfo, _distexec_v1_TokenInfo__Output>
      TokenRole: EnumTypeDefinition
      TokenService: SubtypeConstructor<typeof grpc.Client, _distexec_v1_TokenServiceClient> & { service: _distexec_v1_TokenServiceDefinition }
    }
  }
}

