import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROTO_DIR } from '@dist-exec/proto';
import { startTestCluster, type TestCluster } from '@dist-exec/testing';

// A client built only from the .proto files, the way a client in another language would be.
const require = createRequire(import.meta.url);
const healthProto = join(dirname(require.resolve('grpc-health-check')), '../../proto/health/v1/health.proto');
const reflectionProto = join(
  dirname(require.resolve('@grpc/reflection')),
  '../proto/grpc/reflection/v1/reflection.proto',
);
const loaded = grpc.loadPackageDefinition(
  protoLoader.loadSync(['distexec/v1/job_service.proto', healthProto, reflectionProto], {
    includeDirs: [PROTO_DIR],
    longs: String,
    enums: String,
    defaults: true,
  }),
) as unknown as {
  distexec: { v1: { JobService: grpc.ServiceClientConstructor } };
  grpc: {
    health: { v1: { Health: grpc.ServiceClientConstructor } };
    reflection: { v1: { ServerReflection: grpc.ServiceClientConstructor } };
  };
};

function unary<T>(
  client: grpc.Client,
  method: string,
  request: object,
  metadata: grpc.Metadata = new grpc.Metadata(),
): Promise<T> {
  return new Promise((resolve, reject) => {
    (
      client as unknown as Record<
        string,
        (r: object, m: grpc.Metadata, cb: (e: grpc.ServiceError | null, v: T) => void) => void
      >
    )[method]!(request, metadata, (error, value) => (error ? reject(error) : resolve(value)));
  });
}

/** The token as any gRPC client sends it (grpcurl -H, Python metadata): `authorization: Bearer <token>`. */
function bearer(token: string): grpc.Metadata {
  const metadata = new grpc.Metadata();
  metadata.set('authorization', `Bearer ${token}`);
  return metadata;
}

describe('the gRPC contract, from the .proto files alone', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await startTestCluster({ workers: 1 });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('submits and reads a job, with the token in the authorization metadata', async () => {
    const jobs = new loaded.distexec.v1.JobService(cluster.address, grpc.credentials.createInsecure());
    const auth = bearer(cluster.adminToken);
    const anonymous = await unary(jobs, 'SubmitJob', { spec: { command: 'true' } }).catch((e: grpc.ServiceError) => e);
    expect(anonymous).toMatchObject({
      code: grpc.status.UNAUTHENTICATED,
      details: expect.stringMatching(/needs a token/),
    });
    const submitted = await unary<{ job: { id: string; state: string; submittedBy: string } }>(
      jobs,
      'SubmitJob',
      { spec: { command: 'echo from-proto' } },
      auth,
    );
    expect(submitted.job).toMatchObject({ state: 'JOB_STATE_PENDING', submittedBy: 'admin' });
    const error = await unary(jobs, 'SubmitJob', { spec: { command: '' } }, auth).catch((e: grpc.ServiceError) => e);
    expect(error).toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: expect.stringMatching(/command is empty/),
    });
    const missing = await unary(jobs, 'GetJob', { id: '01a2074a-7067-75c4-ab32-9e32b258f0dd' }, auth).catch(
      (e: grpc.ServiceError) => e,
    );
    expect(missing).toMatchObject({ code: grpc.status.NOT_FOUND });
    jobs.close();
  });

  it('serves gRPC health checking and server reflection without a token', async () => {
    const health = new loaded.grpc.health.v1.Health(cluster.address, grpc.credentials.createInsecure());
    await expect(unary(health, 'Check', { service: '' })).resolves.toEqual({ status: 'SERVING' });
    await expect(unary(health, 'Check', { service: 'distexec.v1.JobService' })).resolves.toEqual({ status: 'SERVING' });
    health.close();

    const reflection = new loaded.grpc.reflection.v1.ServerReflection(
      cluster.address,
      grpc.credentials.createInsecure(),
    );
    const call = (
      reflection as unknown as {
        ServerReflectionInfo(): grpc.ClientDuplexStream<
          object,
          { listServicesResponse?: { service: { name: string }[] } }
        >;
      }
    ).ServerReflectionInfo();
    const answer = new Promise<string[]>((resolve, reject) => {
      call.on('data', (response) =>
        resolve((response.listServicesResponse?.service ?? []).map((s: { name: string }) => s.name)),
      );
      call.on('error', reject);
    });
    call.write({ listServices: '' });
    expect(await answer).toEqual(expect.arrayContaining(['distexec.v1.JobService', 'distexec.v1.NodeService']));
    call.end();
    reflection.close();
  });
});

describe('shutdown', () => {
  it('turns gRPC health NOT_SERVING before the server goes away', async () => {
    const cluster = await startTestCluster({ workers: 0, master: { shutdownGraceMs: 300 } });
    const health = new loaded.grpc.health.v1.Health(cluster.address, grpc.credentials.createInsecure());
    const statuses: string[] = [];
    const watch = (health as unknown as { Watch(r: object): grpc.ClientReadableStream<{ status: string }> }).Watch({
      service: '',
    });
    watch.on('data', (update) => statuses.push(update.status));
    const ended = new Promise<void>((resolve) => {
      watch.on('error', () => resolve());
      watch.on('end', () => resolve());
    });
    await new Promise<void>((resolve) => watch.once('data', () => resolve()));
    await cluster.stop();
    await ended;
    expect(statuses[0]).toBe('SERVING');
    expect(statuses).toContain('NOT_SERVING');
    health.close();
  });
});
