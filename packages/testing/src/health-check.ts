import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { PROTO_DIR } from '@dist-exec/proto';

/**
 * grpc.health.v1 Check of a whole server (service ''), as a load balancer
 * asks it: 'SERVING', 'NOT_SERVING', … Tests use it to see what the master
 * tells a balancer while its store cannot write.
 */

const health = grpc.loadPackageDefinition(
  protoLoader.loadSync('grpc/health/v1/health.proto', { includeDirs: [PROTO_DIR], enums: String }),
) as unknown as { grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } } };

type HealthClient = grpc.Client & {
  Check(request: object, callback: (error: grpc.ServiceError | null, value?: { status: string }) => void): void;
};

/** The server's serving status; rejects when the call fails. */
export function servingStatus(address: string): Promise<string> {
  const client = new health.grpc.health.v1.Health(
    address,
    grpc.credentials.createInsecure(),
  ) as unknown as HealthClient;
  return new Promise((resolve, reject) =>
    client.Check({ service: '' }, (error, value) => {
      client.close();
      if (error) reject(error);
      else resolve(value?.status ?? '');
    }),
  );
}
