import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { checkStringsOnDecode } from './decode-checks.js';
import type { ProtoGrpcType as ExecutionProto } from './generated/execution_service.js';
import type { ProtoGrpcType as JobProto } from './generated/job_service.js';
import type { ProtoGrpcType as NodeProto } from './generated/node_service.js';
import type { ProtoGrpcType as TokenProto } from './generated/token_service.js';

/** Directory holding `distexec/v1/*.proto`; read at run time by proto-loader. */
export const PROTO_DIR = fileURLToPath(new URL('../../../proto', import.meta.url));
export const PROTO_FILES = [
  'distexec/v1/types.proto',
  'distexec/v1/job_service.proto',
  'distexec/v1/node_service.proto',
  'distexec/v1/execution_service.proto',
  'distexec/v1/token_service.proto',
];

/** Must match the flags of `npm run gen:proto` so the generated types are true. */
export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_DIR],
};

/** Loaded once per process. */
export const packageDefinition = protoLoader.loadSync(PROTO_FILES, LOADER_OPTIONS);
const loaded = grpc.loadPackageDefinition(packageDefinition) as unknown as JobProto &
  NodeProto &
  ExecutionProto &
  TokenProto;
export const v1 = loaded.distexec.v1;
// Every server of the contract refuses strings that are not UTF-8 rather than decode them changed.
for (const client of [v1.JobService, v1.NodeService, v1.ExecutionService, v1.TokenService])
  checkStringsOnDecode(client.service);

export type { JobServiceClient, JobServiceHandlers } from './generated/distexec/v1/JobService.js';
export type { NodeServiceClient, NodeServiceHandlers } from './generated/distexec/v1/NodeService.js';
export type { ExecutionServiceClient, ExecutionServiceHandlers } from './generated/distexec/v1/ExecutionService.js';
export type { TokenServiceClient, TokenServiceHandlers } from './generated/distexec/v1/TokenService.js';
export type * as wire from './wire.js';

export * from './convert.js';
export * from './cluster-convert.js';
export * from './status-codes.js';
export * from './error-details.js';
export * from './channel.js';
export * from './tls-errors.js';
export * from './token-convert.js';
export * from './descriptors.js';
export { encodedBytes, findInvalidUtf8, invalidUtf8Field } from './decode-checks.js';
export * from './message-size.js';
export * from './leader-hint.js';
