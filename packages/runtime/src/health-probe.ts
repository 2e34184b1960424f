#!/usr/bin/env node
// Exits 0 when the gRPC server at host:port reports SERVING (grpc.health.v1),
// 1 otherwise. Used by the Dockerfiles' HEALTHCHECK. Over TLS when the
// container's DIST_EXEC_TLS_CA or DIST_EXEC_TLS_CERT is set (presenting
// DIST_EXEC_TLS_CERT, for a server that requires client certificates).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { createChannelCredentials, withTls } from '@dist-exec/proto';
import { loadTlsFiles } from './tls/tls-files.js';

const address = process.argv[2] ?? '127.0.0.1:50051';
const require = createRequire(import.meta.url);
const healthProto = join(dirname(require.resolve('grpc-health-check')), '../../proto/health/v1/health.proto');
const loaded = grpc.loadPackageDefinition(protoLoader.loadSync(healthProto, { enums: String })) as unknown as {
  grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
};
let tls: ReturnType<typeof loadTlsFiles>['client'] = null;
try {
  tls = loadTlsFiles({
    ca: process.env.DIST_EXEC_TLS_CA,
    cert: process.env.DIST_EXEC_TLS_CERT,
    key: process.env.DIST_EXEC_TLS_KEY,
  }).client;
} catch (error) {
  process.stdout.write(`not serving: ${(error as Error).message}\n`);
  process.exit(1);
}
const client = new loaded.grpc.health.v1.Health(
  address,
  createChannelCredentials(tls, address),
  withTls({}, tls, address),
) as unknown as grpc.Client & {
  Check(
    request: object,
    options: grpc.CallOptions,
    callback: (error: grpc.ServiceError | null, response?: { status: string }) => void,
  ): void;
};
client.Check({ service: '' }, { deadline: new Date(Date.now() + 3000) }, (error, response) => {
  const serving = !error && response?.status === 'SERVING';
  process.stdout.write(serving ? 'SERVING\n' : `not serving: ${error?.details ?? response?.status}\n`);
  client.close();
  process.exit(serving ? 0 : 1);
});
