import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROTO_DIR } from '@dist-exec/proto';
import { startTestCluster, until, type TestCluster } from '@dist-exec/testing';

// The simple worker contract (execution_service.proto): a worker built from the .proto files alone, as one in
// another language would be, that registers and heartbeats with unary calls and serves only Execute and Cancel.
// It presents a worker token and its node secret, and accepts only the master it gave its execution secret.
const loaded = grpc.loadPackageDefinition(
  protoLoader.loadSync(['distexec/v1/node_service.proto', 'distexec/v1/execution_service.proto'], {
    includeDirs: [PROTO_DIR],
    longs: Number,
    enums: String,
    defaults: true,
    oneofs: true,
  }),
) as unknown as {
  distexec: { v1: { NodeService: grpc.ServiceClientConstructor; ExecutionService: grpc.ServiceClientConstructor } };
};
const { NodeService, ExecutionService } = loaded.distexec.v1;

interface ExecuteRequest {
  jobId: string;
  attempt: number;
  spec: { command: string };
}
interface AttemptRef {
  jobId: string;
  attempt: number;
}
interface HeartbeatResponse {
  reregister: boolean;
  ack: AttemptRef[];
  kill: AttemptRef[];
}

type UnaryMethod<T> = (r: object, m: grpc.Metadata, cb: (e: grpc.ServiceError | null, v: T) => void) => void;

function unary<T>(client: grpc.Client, token: string, method: string, request: object): Promise<T> {
  const metadata = new grpc.Metadata();
  metadata.set('authorization', `Bearer ${token}`);
  return new Promise((resolve, reject) => {
    (client as unknown as Record<string, UnaryMethod<T>>)[method]!(request, metadata, (error, value) =>
      error ? reject(error) : resolve(value),
    );
  });
}

const NODE_SECRET = randomBytes(24).toString('hex');
const EXECUTION_SECRET = randomBytes(24).toString('hex');

describe('a worker that serves only Execute and heartbeats with unary calls', () => {
  let cluster: TestCluster;
  let server: grpc.Server;
  let nodes: grpc.Client;
  const executed: ExecuteRequest[] = [];

  beforeAll(async () => {
    // Heartbeats every 5 s: the test sends each one itself.
    cluster = await startTestCluster({ workers: 0, master: { heartbeatIntervalMs: 5000 } });
    server = new grpc.Server();
    server.addService(ExecutionService.service, {
      // Runs nothing: answers every attempt as if its command printed "simple" and exited 0.
      Execute: (call: grpc.ServerWritableStream<ExecuteRequest, object>) => {
        // Only the master this worker registered with knows the execution secret.
        if (call.metadata.get('authorization')[0] !== `Bearer ${EXECUTION_SECRET}`) {
          call.emit('error', { code: grpc.status.UNAUTHENTICATED, details: 'not the master' });
          return;
        }
        executed.push(call.request);
        const now = Date.now();
        call.write({ started: { startedAtMs: now, pid: 1 } });
        call.write({
          output: { offset: 0, stream: 'OUTPUT_STREAM_STDOUT', data: Buffer.from('simple\n'), timestampMs: now },
        });
        call.write({
          finished: { succeeded: true, exitCode: 0, startedAtMs: now, finishedAtMs: now, outputLength: 7 },
        });
        call.end();
      },
      Cancel: (_call: unknown, callback: grpc.sendUnaryData<object>) => callback(null, { found: false }),
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    nodes = new NodeService(cluster.address, grpc.credentials.createInsecure());
    await unary(nodes, cluster.workerToken, 'Register', {
      nodeId: 'simple-1',
      address: `127.0.0.1:${port}`,
      capabilities: ['command'],
      maxTasks: 1,
      version: 'simple',
      nodeSecret: NODE_SECRET,
      executionSecret: EXECUTION_SECRET,
    });
  });

  afterAll(async () => {
    nodes?.close();
    server?.forceShutdown();
    await cluster?.stop();
  });

  it('runs a job through Execute, and the unary heartbeat acknowledges its result', async () => {
    const beat = { nodeId: 'simple-1', activeTasks: 0, nodeSecret: NODE_SECRET };
    const alive = await unary<HeartbeatResponse>(nodes, cluster.workerToken, 'Heartbeat', beat);
    expect(alive.reregister).toBe(false);

    const job = await cluster.client.submit({ command: 'echo simple' });
    const done = await until(
      async () => {
        const view = await cluster.client.getJob(job.job.id, { output: true });
        return view.state === 'COMPLETED' ? view : undefined;
      },
      { message: 'the job to complete on the simple worker' },
    );
    expect(Buffer.from(done.stdout ?? []).toString()).toBe('simple\n');
    expect(done.workerId).toBe('simple-1');
    expect(executed.map((r) => [r.jobId, r.attempt, r.spec.command])).toEqual([[job.job.id, 1, 'echo simple']]);

    // The worker reports the result it keeps; the master has it, so it answers with an ack and no kill.
    const reported = { jobId: job.job.id, attempt: 1, finished: true };
    const answer = await unary<HeartbeatResponse>(nodes, cluster.workerToken, 'Heartbeat', {
      ...beat,
      attempts: [reported],
    });
    expect(answer).toMatchObject({ reregister: false, ack: [{ jobId: job.job.id, attempt: 1 }], kill: [] });
  });
});
