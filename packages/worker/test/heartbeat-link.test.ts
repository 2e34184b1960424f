import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { v1, type NodeServiceClient, type wire } from '@dist-exec/proto';
import { bindServer, createServer } from '@dist-exec/runtime';
import { HeartbeatLink } from '@dist-exec/worker';

type HeartbeatsCall = grpc.ServerDuplexStream<wire.HeartbeatRequest__Output, wire.HeartbeatResponse>;

const servers: grpc.Server[] = [];
const clients: grpc.Client[] = [];

afterEach(() => {
  for (const client of clients.splice(0)) client.close();
  for (const server of servers.splice(0)) server.forceShutdown();
});

/** A real NodeService server with only the Heartbeats handler given. */
async function master(handlers: { Heartbeats: grpc.UntypedHandleCall }): Promise<NodeServiceClient> {
  const server = createServer();
  server.addService(v1.NodeService.service, handlers);
  servers.push(server);
  const port = await bindServer(server, '127.0.0.1:0');
  const client = new v1.NodeService(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  clients.push(client);
  return client;
}

const answer = (request: wire.HeartbeatRequest__Output): wire.HeartbeatResponse => ({
  reregister: false,
  ack: [{ jobId: request.nodeId, attempt: request.activeTasks }],
  kill: [],
  draining: false,
});

describe('HeartbeatLink', () => {
  it('sends every heartbeat on one stream and gets each answer in turn', async () => {
    const streams: HeartbeatsCall[] = [];
    const client = await master({
      Heartbeats: (call: HeartbeatsCall) => {
        streams.push(call);
        call.on('data', (request: wire.HeartbeatRequest__Output) => call.write(answer(request)));
      },
    });
    const link = new HeartbeatLink(client, 5000);
    for (let i = 1; i <= 5; i += 1) {
      const response = await link.send({ nodeId: 'n', activeTasks: i });
      expect(response.ack).toEqual([{ jobId: 'n', attempt: i }]);
    }
    expect(streams).toHaveLength(1);
    link.close();
  });

  it('fails a heartbeat the master does not answer in time, and the next one opens a new stream', async () => {
    const streams: HeartbeatsCall[] = [];
    const client = await master({
      Heartbeats: (call: HeartbeatsCall) => {
        streams.push(call);
        // The first stream hangs (a master stuck or a connection gone quiet); later ones answer.
        if (streams.length === 1) return;
        call.on('data', (request: wire.HeartbeatRequest__Output) => call.write(answer(request)));
      },
    });
    const link = new HeartbeatLink(client, 300);
    await expect(link.send({ nodeId: 'n', activeTasks: 1 })).rejects.toMatchObject({
      code: grpc.status.DEADLINE_EXCEEDED,
    });
    expect((await link.send({ nodeId: 'n', activeTasks: 2 })).ack).toEqual([{ jobId: 'n', attempt: 2 }]);
    expect(streams).toHaveLength(2);
  });

  it('a stream the master ends fails the heartbeat at hand with the status it ended with', async () => {
    const client = await master({
      Heartbeats: (call: HeartbeatsCall) => {
        call.on('data', () =>
          call.emit('error', { code: grpc.status.INVALID_ARGUMENT, details: 'node_id: give the node id' }),
        );
      },
    });
    const link = new HeartbeatLink(client, 5000);
    await expect(link.send({ nodeId: '', activeTasks: 0 })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
    });
  });
});
