import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DistExecClient } from '@dist-exec/client';
import { startTestCluster, type TestCluster } from '@dist-exec/testing';

/**
 * A TCP proxy in front of the master that loses the first answer: on the
 * first connection it forwards everything until the master starts an answer
 * (an HTTP/2 HEADERS frame on a stream), then drops the connection, as a
 * network failure or a restarting load balancer would after the master
 * acted. Later connections pass untouched.
 */
async function answerLosingProxy(port: number): Promise<{ address: string; lost: () => number; close(): void }> {
  const sockets = new Set<Socket>();
  let connections = 0;
  let lost = 0;
  const server: Server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    sockets.add(client).add(upstream);
    const dropAnswer = connections++ === 0;
    let pending = Buffer.alloc(0);
    client.on('data', (data: Buffer) => upstream.write(data));
    upstream.on('data', (data: Buffer) => {
      if (!dropAnswer) return void client.write(data);
      // Forward whole frames (9-byte header: length, type, flags, stream) until an answer's HEADERS.
      pending = Buffer.concat([pending, data]);
      while (pending.length >= 9) {
        const size = 9 + pending.readUIntBE(0, 3);
        if (pending.length < size) break;
        const frame = pending.subarray(0, size);
        pending = pending.subarray(size);
        if (frame[3] === 0x1 && (frame.readUInt32BE(5) & 0x7fffffff) !== 0) {
          lost += 1;
          client.destroy();
          upstream.destroy();
          return;
        }
        client.write(frame);
      }
    });
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      a.on('error', () => b.destroy());
      a.on('close', () => b.destroy());
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${(server.address() as { port: number }).port}`,
    lost: () => lost,
    close() {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

describe('a bulk submit whose answer is lost', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await startTestCluster({ workers: 0 });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('is sent again with the same idempotency keys, so no job is created twice', async () => {
    const port = Number(cluster.address.split(':')[1]);
    const proxy = await answerLosingProxy(port);
    const client = new DistExecClient({
      address: proxy.address,
      token: cluster.adminToken,
      retry: { retries: 2, baseMs: 10 },
    });
    try {
      const specs = Array.from({ length: 50 }, (_, i) => ({
        command: `echo ${i}`,
        labels: { case: 'lost-answer' },
        constraints: { never: 'matches' },
      }));
      const ids = await client.submitManyIds(specs);
      expect(proxy.lost()).toBe(1);
      expect(new Set(ids).size).toBe(50);
      const stored = (await cluster.client.listAllJobs({ limit: 1000 })).jobs.filter(
        (job) => job.spec.labels.case === 'lost-answer',
      );
      expect(stored.map((job) => job.id).sort()).toEqual([...ids].sort());
      // Keys of the SDK's own, one per spec: <random id of the call>:<index>.
      const keys = new Map(stored.map((job) => [job.id, job.spec.idempotencyKey]));
      expect(ids.map((id) => keys.get(id)?.replace(/^[A-Za-z0-9_-]{16}:/, ''))).toEqual(specs.map((_, i) => String(i)));
    } finally {
      client.close();
      proxy.close();
    }
  });
});
