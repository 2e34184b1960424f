#!/usr/bin/env node
// A bare grpc-js server in its own process for the grpc-baseline scenario:
// unary Ping and a bidirectional Echo stream of raw bytes, no proto, no work.
// Prints its port as one JSON line.
import * as grpc from '@grpc/grpc-js';
import { ECHO_SERVICE } from './echo-service.js';

const server = new grpc.Server();
server.addService(ECHO_SERVICE, {
  Ping: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) =>
    callback(null, call.request),
  Echo: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
    call.on('data', (message: Buffer) => call.write(message));
    call.on('end', () => call.end());
  },
});
server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, port) => {
  if (error) throw error;
  process.stdout.write(`${JSON.stringify({ msg: 'echo listening', port })}\n`);
});
process.on('SIGTERM', () => server.tryShutdown(() => process.exit(0)));
