import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import * as grpc from '@grpc/grpc-js';
import { startNodeScript } from '@dist-exec/testing';
import { ECHO_SERVICE } from '../echo-service.js';
import { round, type Figure, type Scenario, type ScenarioContext } from '../scenario.js';

const ECHO_SERVER = fileURLToPath(new URL('../echo-server.js', import.meta.url));
const UNARY_CALLS = 20_000;
const UNARY_IN_FLIGHT = 16;
const STREAM_MESSAGES = 200_000;
const STREAM_IN_FLIGHT = 100;
const PAYLOAD = Buffer.alloc(64, 1);

type EchoClient = grpc.Client & {
  Ping(request: Buffer, callback: (error: grpc.ServiceError | null) => void): grpc.ClientUnaryCall;
  Echo(): grpc.ClientDuplexStream<Buffer, Buffer>;
};

async function unaryRate(client: EchoClient, calls: number): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: UNARY_IN_FLIGHT }, async () => {
      while (next < calls) {
        next += 1;
        await new Promise<void>((resolve, reject) =>
          client.Ping(PAYLOAD, (error) => (error ? reject(error) : resolve())),
        );
      }
    }),
  );
  return calls / ((performance.now() - start) / 1000);
}

/** One bidirectional stream, STREAM_IN_FLIGHT messages outstanding. */
function streamRate(client: EchoClient, messages: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const call = client.Echo();
    let sent = 0;
    let received = 0;
    const start = performance.now();
    call.on('data', () => {
      received += 1;
      if (sent < messages) {
        sent += 1;
        call.write(PAYLOAD);
      }
      if (received === messages) call.end();
    });
    call.on('error', reject);
    call.on('end', () => resolve(messages / ((performance.now() - start) / 1000)));
    for (; sent < STREAM_IN_FLIGHT; sent += 1) call.write(PAYLOAD);
  });
}

async function measure(): Promise<Figure[]> {
  const server = startNodeScript('echo-server', ECHO_SERVER, []);
  try {
    const { port } = await server.waitForLog('echo listening');
    const Client = grpc.makeGenericClientConstructor(ECHO_SERVICE, 'Echo');
    const client = new Client(`127.0.0.1:${String(port)}`, grpc.credentials.createInsecure()) as unknown as EchoClient;
    try {
      await unaryRate(client, 2000);
      const unary = await unaryRate(client, UNARY_CALLS);
      await streamRate(client, 10_000);
      const stream = await streamRate(client, STREAM_MESSAGES);
      return [
        {
          name: 'grpc-baseline.unary',
          value: round(unary, 0),
          unit: 'calls/s',
          params: { calls: UNARY_CALLS, inFlight: UNARY_IN_FLIGHT, bytes: PAYLOAD.length },
        },
        {
          name: 'grpc-baseline.stream',
          value: round(stream, 0),
          unit: 'msgs/s',
          params: { messages: STREAM_MESSAGES, inFlight: STREAM_IN_FLIGHT, bytes: PAYLOAD.length },
        },
      ];
    } finally {
      client.close();
    }
  } finally {
    server.kill();
    await server.exited;
  }
}

/** A grpc-baseline figure of this run, measured now if the scenario was left out with --only. */
export async function grpcBaselineFigure(
  context: ScenarioContext,
  name: 'grpc-baseline.unary' | 'grpc-baseline.stream',
): Promise<Figure> {
  if (!context.results.has(name)) {
    context.log('measuring grpc-baseline for the ratio');
    for (const figure of await measure()) context.results.set(figure.name, figure);
  }
  return context.results.get(name) as Figure;
}

/**
 * grpc-js alone on loopback, client here and server in its own process:
 * unary calls/s (one call per job is what dispatch costs today) and messages/s
 * on one bidirectional stream (the ceiling of a batched, streamed dispatch).
 */
export const grpcBaseline: Scenario = {
  name: 'grpc-baseline',
  description: `grpc-js on loopback: unary calls/s (${UNARY_IN_FLIGHT} in flight), one bidi stream msgs/s (${STREAM_IN_FLIGHT} in flight)`,
  run: measure,
};
