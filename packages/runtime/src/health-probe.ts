#!/usr/bin/env node
// Exits 0 when the gRPC server at host:port reports SERVING (grpc.health.v1),
// 1 otherwise. Used by the Dockerfiles' HEALTHCHECK.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

const address = process.argv[2] ?? '127.0.0.1:50051';
const require = createRequire(import.meta.url);
const healthProto = join(dirname(require.resolve('grpc-health-check')), '../../proto/health/v1/health.proto');
const loaded = grpc.loadPackageDefinition(protoLoader.loadSync(healthProto, { enums: String })) as unknown as {
  grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
};
const client = new loaded.grpc.health.v1.Health(
  address,
  grpc.credentials.createInsecure(),
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
