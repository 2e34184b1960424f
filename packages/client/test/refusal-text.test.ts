import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DistExecClient } from '@dist-exec/client';
import { v1 } from '@dist-exec/proto';

/**
 * A master's refusal may quote a cause of its own: "cannot store jobs: the
 * database at … is unavailable (connect ECONNREFUSED …)". The client must pass
 * that on as the master said it, not read it as its own failure to reach the
 * master (which it reported as "cannot reach the master at …").
 */
const REFUSAL =
  'cannot store jobs: the database at postgres://dist:***@127.0.0.1:5432/jobs is unavailable (connect ECONNREFUSED 127.0.0.1:5432); writes resume when it is back';

describe("a master's refusal quoting a connection error of its own", () => {
  let server: grpc.Server;
  let address = '';

  beforeAll(async () => {
    server = new grpc.Server();
    const refuse = (_call: unknown, callback: grpc.sendUnaryData<never>): void =>
      callback({ code: grpc.status.UNAVAILABLE, details: REFUSAL });
    server.addService(v1.JobService.service, { submitJob: refuse, getJob: refuse });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    address = `127.0.0.1:${port}`;
  });

  afterAll(() => server.forceShutdown());

  it('is passed on word for word, as UNAVAILABLE', async () => {
    const client = new DistExecClient({ address, connectTimeoutMs: 5000 });
    try {
      const error = (await client.submit({ command: 'true' }).catch((e: unknown) => e)) as Error & { code?: string };
      expect(error.code).toBe('UNAVAILABLE');
      expect(error.message).toBe(REFUSAL);
    } finally {
      client.close();
    }
  });

  it('while a port nobody listens on still reads as the master out of reach', async () => {
    const client = new DistExecClient({ address: '127.0.0.1:1', connectTimeoutMs: 5000 });
    try {
      const error = (await client.getJob('x').catch((e: unknown) => e)) as Error;
      expect(error.message).toBe('cannot reach the master at 127.0.0.1:1 (connect ECONNREFUSED)');
    } finally {
      client.close();
    }
  });
});
