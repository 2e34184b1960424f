import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROTO_DIR } from '@dist-exec/proto';
import {
  bufPath,
  generatePythonStubs,
  protocTools,
  PYTHON,
  pythonGrpcAvailable,
  runTool,
  startTestCluster,
  toolsRequired,
  until,
  type TestCluster,
} from '@dist-exec/testing';

// A client built only from the .proto files, the way a client in another language would be.
const loaded = grpc.loadPackageDefinition(
  protoLoader.loadSync(['distexec/v1/job_service.proto', 'grpc/health/v1/health.proto'], {
    includeDirs: [PROTO_DIR],
    longs: String,
    enums: String,
    defaults: true,
  }),
) as unknown as {
  distexec: { v1: { JobService: grpc.ServiceClientConstructor } };
  grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
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

/** `buf curl` through server reflection: buf builds its descriptors with protobuf-go's strict protodesc. */
function bufCurl(address: string, args: readonly string[]): ReturnType<typeof runTool> {
  return runTool(bufPath(), ['curl', '--protocol', 'grpc', '--http2-prior-knowledge', ...args, `http://${address}`]);
}

const STANDARD_METHODS = [
  'grpc.health.v1.Health/Check',
  'grpc.health.v1.Health/List',
  'grpc.health.v1.Health/Watch',
  'grpc.reflection.v1.ServerReflection/ServerReflectionInfo',
];

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

  it('serves gRPC health checking without a token', async () => {
    const health = new loaded.grpc.health.v1.Health(cluster.address, grpc.credentials.createInsecure());
    await expect(unary(health, 'Check', { service: '' })).resolves.toEqual({ status: 'SERVING' });
    await expect(unary(health, 'Check', { service: 'distexec.v1.JobService' })).resolves.toEqual({ status: 'SERVING' });
    health.close();
  });

  it('lists through reflection what each server serves, and buf curl calls SubmitJob with proto-named JSON', async () => {
    const master = await bufCurl(cluster.address, ['--list-methods']);
    expect(master.stderr).toBe('');
    const masterMethods = master.stdout.trim().split('\n');
    expect(masterMethods).toEqual(expect.arrayContaining(['distexec.v1.JobService/SubmitJob', ...STANDARD_METHODS]));
    expect(masterMethods).toContain('distexec.v1.NodeService/Register');
    expect(masterMethods).toContain('distexec.v1.TokenService/CreateToken');
    expect(masterMethods.filter((m) => m.startsWith('distexec.v1.ExecutionService'))).toEqual([]);

    const workerAddress = cluster.master.nodes.list()[0]!.address;
    const worker = await bufCurl(workerAddress, ['--list-methods']);
    expect(worker.stderr).toBe('');
    expect(
      worker.stdout
        .trim()
        .split('\n')
        .filter((m) => m.startsWith('distexec.')),
    ).toEqual([
      'distexec.v1.ExecutionService/Cancel',
      'distexec.v1.ExecutionService/Dispatch',
      'distexec.v1.ExecutionService/Execute',
    ]);

    const body = { spec: { command: 'echo via-buf-curl', timeout_ms: 30000, env: { GREETING: 'hi' } } };
    // No --schema: buf asks the server for the descriptors through reflection.
    const call = await runTool(bufPath(), [
      'curl',
      '--protocol',
      'grpc',
      '--http2-prior-knowledge',
      '-H',
      `authorization: Bearer ${cluster.adminToken}`,
      '-d',
      JSON.stringify(body),
      `http://${cluster.address}/distexec.v1.JobService/SubmitJob`,
    ]);
    expect(call.stderr).toBe('');
    const answer = JSON.parse(call.stdout) as { job: { id: string; spec: { timeoutMs: number } } };
    expect(answer.job.spec.timeoutMs).toBe(30000);
    const done = await until(async () => {
      const job = await cluster.client.getJob(answer.job.id, { output: true });
      return job.state === 'COMPLETED' ? job : null;
    });
    expect(Buffer.from(done.stdout ?? []).toString()).toBe('via-buf-curl\n');
  });

  it.skipIf(!(pythonGrpcAvailable() && protocTools()) && !toolsRequired())(
    "loads the served descriptors into Python's strict descriptor pool and submits through them",
    async () => {
      const stubs = await generatePythonStubs();
      const run = await runTool(
        PYTHON,
        [join(import.meta.dirname, 'python/check_reflection.py'), cluster.address, '1'],
        {
          env: { PYTHONPATH: stubs, DIST_EXEC_TOKEN: cluster.adminToken },
        },
      );
      expect(run.stderr).toBe('');
      const result = JSON.parse(run.stdout) as Record<string, unknown>;
      expect(result).toMatchObject({
        services: [
          'distexec.v1.JobService',
          'distexec.v1.NodeService',
          'distexec.v1.TokenService',
          'grpc.health.v1.Health',
          'grpc.reflection.v1.ServerReflection',
        ],
        files: [
          'distexec/v1/job_service.proto',
          'distexec/v1/node_service.proto',
          'distexec/v1/token_service.proto',
          'distexec/v1/types.proto',
          'grpc/health/v1/health.proto',
          'grpc/reflection/v1/reflection.proto',
        ],
        env_type: '.distexec.v1.JobSpec.EnvEntry',
        env_map_entry: true,
        exit_code_proto3_optional: true,
        unknown_symbol_error: grpc.status.NOT_FOUND,
        submitted: { job: { state: 'JOB_STATE_PENDING', spec: { timeout_ms: 30000 } } },
      });
      expect(result.field_names).toContain('idempotency_key');
      // The comments of types.proto come along as source info.
      expect(result.comments).toBeGreaterThan(20);

      const worker = await runTool(
        PYTHON,
        [join(import.meta.dirname, 'python/check_reflection.py'), cluster.master.nodes.list()[0]!.address, '0'],
        { env: { PYTHONPATH: stubs } },
      );
      expect(worker.stderr).toBe('');
      expect(JSON.parse(worker.stdout)).toMatchObject({
        services: ['distexec.v1.ExecutionService', 'grpc.health.v1.Health', 'grpc.reflection.v1.ServerReflection'],
        files: [
          'distexec/v1/execution_service.proto',
          'distexec/v1/types.proto',
          'grpc/health/v1/health.proto',
          'grpc/reflection/v1/reflection.proto',
        ],
      });
    },
  );
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
