import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { MAX_MESSAGE_BYTES } from '@dist-exec/proto';
import { bindServer, createServer } from '@dist-exec/runtime';

const BIG: grpc.MethodDefinition<Buffer, Buffer> = {
  path: '/test.Big/Answer',
  requestStream: false,
  responseStream: false,
  requestSerialize: (value) => value,
  requestDeserialize: (value) => value,
  responseSerialize: (value) => value,
  responseDeserialize: (value) => value,
};

describe('the server kit', () => {
  it('tells of an answer grpc-js would not send, which the client only sees as RESOURCE_EXHAUSTED', async () => {
    const failures: [string, string][] = [];
    const server = createServer({ onSendFailure: (method, details) => failures.push([method, details]) });
    server.addService(
      { Answer: BIG },
      {
        Answer: (_call: unknown, callback: grpc.sendUnaryData<Buffer>) =>
          callback(null, Buffer.alloc(MAX_MESSAGE_BYTES + 1)),
      },
    );
    const port = await bindServer(server, '127.0.0.1:0');
    const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    try {
      const error = await new Promise<grpc.ServiceError | null>((resolve) =>
        client.makeUnaryRequest(BIG.path, BIG.requestSerialize, BIG.responseDeserialize, Buffer.alloc(1), (e) =>
          resolve(e),
        ),
      );
      expect(error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
      expect(failures).toEqual([
        [
          '/test.Big/Answer',
          `the answer is ${MAX_MESSAGE_BYTES + 1} bytes, more than the ${MAX_MESSAGE_BYTES} a message may have`,
        ],
      ]);
    } finally {
      client.close();
      server.forceShutdown();
    }
  });
});
