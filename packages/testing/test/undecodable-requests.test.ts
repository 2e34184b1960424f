import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { v1 } from '@dist-exec/proto';
import { startTestCluster, type TestCluster } from '@dist-exec/testing';

/**
 * Bytes that are not the message a method takes get INVALID_ARGUMENT, on
 * unary and streaming methods alike, and a stream never ends OK without an
 * answer, on every method of every service of the master and the worker.
 * The bytes go through a generic grpc-js client with identity serializers,
 * as a client with a stale or wrong .proto would send them.
 */

/** Field 1 as a varint cut off after its first byte: no decoder gets past it, whatever field 1 is. */
const UNDECODABLE = Buffer.from([0x08, 0xff]);

interface MethodShape {
  path: string;
  requestStream: boolean;
  responseStream: boolean;
}

function methodsOf(service: grpc.ServiceDefinition): MethodShape[] {
  return Object.values(service).map(({ path, requestStream, responseStream }) => ({
    path,
    requestStream,
    responseStream,
  }));
}

/** What both servers serve besides their own API: health checking and reflection (v1 and v1alpha). */
const STANDARD: MethodShape[] = [
  { path: '/grpc.health.v1.Health/Check', requestStream: false, responseStream: false },
  { path: '/grpc.health.v1.Health/Watch', requestStream: false, responseStream: true },
  ...['v1', 'v1alpha'].map((version) => ({
    path: `/grpc.reflection.${version}.ServerReflection/ServerReflectionInfo`,
    requestStream: true,
    responseStream: true,
  })),
];

const identity = (bytes: Buffer): Buffer => bytes;

/** Sends the bytes to one method and resolves with how the call ended and how many messages came back. */
function call(
  address: string,
  method: MethodShape,
  token: string,
): Promise<{ code: number; details: string; messages: number }> {
  const metadata = new grpc.Metadata();
  if (token) metadata.set('authorization', `Bearer ${token}`);
  const Client = grpc.makeGenericClientConstructor(
    {
      call: {
        ...method,
        requestSerialize: identity,
        requestDeserialize: identity,
        responseSerialize: identity,
        responseDeserialize: identity,
      },
    },
    'Raw',
  );
  const client = new Client(address, grpc.credentials.createInsecure()) as unknown as grpc.Client;
  const deadline = Date.now() + 10_000;
  return new Promise((resolve) => {
    let messages = 0;
    const done = (error: grpc.ServiceError | null): void => {
      client.close();
      resolve({ code: error?.code ?? grpc.status.OK, details: error?.details ?? '', messages });
    };
    if (!method.requestStream && !method.responseStream) {
      client.makeUnaryRequest(method.path, identity, identity, UNDECODABLE, metadata, { deadline }, (error) =>
        done(error),
      );
      return;
    }
    const stream = method.requestStream
      ? client.makeBidiStreamRequest(method.path, identity, identity, metadata, { deadline })
      : client.makeServerStreamRequest(method.path, identity, identity, UNDECODABLE, metadata, { deadline });
    stream.on('data', () => (messages += 1));
    stream.on('error', (error: grpc.ServiceError) => done(error));
    stream.on('status', (status: grpc.StatusObject) => {
      if (status.code === grpc.status.OK) done(null);
    });
    if (method.requestStream) {
      const writable = stream as grpc.ClientDuplexStream<Buffer, Buffer>;
      writable.write(UNDECODABLE);
      writable.end();
    }
  });
}

describe('undecodable requests', () => {
  let cluster: TestCluster;
  let workerAddress: string;
  beforeAll(async () => {
    // The master checks tokens as it does by default (the calls present its admin token); a worker serves
    // only the master that holds its execution secret, which a test cannot present, so it runs without auth.
    cluster = await startTestCluster({ workers: 1, worker: { auth: 'none' } });
    workerAddress = cluster.master.nodes.list()[0]?.address ?? '';
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  const servers: { name: string; methods: MethodShape[]; address: () => string; token: () => string }[] = [
    {
      name: 'master',
      methods: [
        ...methodsOf(v1.JobService.service),
        ...methodsOf(v1.NodeService.service),
        ...methodsOf(v1.TokenService.service),
        ...STANDARD,
      ],
      address: () => cluster.address,
      token: () => cluster.adminToken,
    },
    {
      name: 'worker',
      methods: [...methodsOf(v1.ExecutionService.service), ...STANDARD],
      address: () => workerAddress,
      token: () => '',
    },
  ];

  for (const server of servers) {
    it(`get INVALID_ARGUMENT naming the method, and no answer, on every method of the ${server.name}`, async () => {
      const results = await Promise.all(
        server.methods.map(async (method) => ({
          method: method.path,
          ...(await call(server.address(), method, server.token())),
        })),
      );
      for (const result of results) {
        expect(result, result.method).toEqual({
          method: result.method,
          code: grpc.status.INVALID_ARGUMENT,
          details: expect.stringMatching(
            new RegExp(`^the request to ${result.method.slice(1)} is not a message it takes \\(.+\\)`),
          ) as string,
          messages: 0,
        });
      }
    });
  }
});
