import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { num, specToWire, v1, withBearerToken, type wire } from '@dist-exec/proto';
import { bindServer, createServer } from '@dist-exec/runtime';
import {
  MemoryNodeSecret,
  Worker,
  type ExecutionContext,
  type ExecutionOutcome,
  type Executor,
} from '@dist-exec/worker';
import { testLogger, until } from '@dist-exec/testing';

const DONE: ExecutionOutcome = { succeeded: true, reason: null, exitCode: 0, error: '' };

/** Starts every task at once; `instant` tasks end in the same turn, the others when the test says. */
class StepExecutor implements Executor {
  readonly type = 'step';
  readonly #waiting: Array<() => void> = [];

  async run(context: ExecutionContext): Promise<ExecutionOutcome> {
    // `unstarted` tasks start only when the test says (a slow start: the master still hears they were accepted).
    if (context.spec.command === 'unstarted') await new Promise<void>((resolve) => this.#waiting.push(resolve));
    context.onStarted(4242);
    if (context.spec.command !== 'instant') await new Promise<void>((resolve) => this.#waiting.push(resolve));
    return DONE;
  }

  finishAll(): void {
    for (const finish of this.#waiting.splice(0)) finish();
  }

  get waiting(): number {
    return this.#waiting.length;
  }
}

const workers: Worker[] = [];
const clients: grpc.Client[] = [];
const servers: grpc.Server[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  for (const worker of workers.splice(0)) await worker.kill();
  for (const server of servers.splice(0)) server.forceShutdown();
});

/**
 * Just enough of a master for a worker to register with: it keeps what the
 * worker hands over in Register (the secret a master must present to its
 * ExecutionService), and answers heartbeats.
 */
async function stubMaster(
  masterEpoch = 0,
): Promise<{ address: string; registered: Promise<wire.RegisterRequest__Output> }> {
  let onRegister: (request: wire.RegisterRequest__Output) => void = () => {};
  const registered = new Promise<wire.RegisterRequest__Output>((resolve) => (onRegister = resolve));
  const answer = { reregister: false, ack: [], kill: [], draining: false, masterEpoch };
  const server = createServer();
  server.addService(v1.NodeService.service, {
    Register: (
      call: grpc.ServerUnaryCall<wire.RegisterRequest__Output, wire.RegisterResponse>,
      callback: grpc.sendUnaryData<wire.RegisterResponse>,
    ) => {
      onRegister(call.request);
      callback(null, {
        heartbeatIntervalMs: 60_000,
        ack: [],
        kill: [],
        masterId: 'stub',
        nodeSecret: 'kept',
        masterEpoch,
      });
    },
    Heartbeat: (_call: unknown, callback: grpc.sendUnaryData<wire.HeartbeatResponse>) => callback(null, answer),
    Heartbeats: (call: grpc.ServerDuplexStream<unknown, wire.HeartbeatResponse>) =>
      call.on('data', () => call.write(answer)),
    Deregister: (_call: unknown, callback: grpc.sendUnaryData<object>) => callback(null, {}),
  });
  servers.push(server);
  const port = await bindServer(server, '127.0.0.1:0');
  return { address: `127.0.0.1:${port}`, registered };
}

/** A real worker registered with a stub master, and a Dispatch stream opened to it as the master does (with the secret it was handed). */
async function dispatchTo(
  executor: StepExecutor,
  masterEpoch = 0,
): Promise<{
  call: grpc.ClientDuplexStream<wire.DispatchRequest, wire.DispatchResponse__Output>;
  events: wire.DispatchEvent__Output[];
}> {
  const master = await stubMaster(masterEpoch);
  const worker = new Worker(
    { masterAddress: master.address, host: '127.0.0.1', port: 0, id: 'w', maxTasks: 8, token: 'stub-token' },
    { logger: testLogger(), executors: [executor], nodeSecrets: new MemoryNodeSecret() },
  );
  workers.push(worker);
  const { port } = await worker.start();
  const { executionSecret } = await master.registered;
  const client = new v1.ExecutionService(
    `127.0.0.1:${port}`,
    grpc.credentials.createInsecure(),
    withBearerToken({}, executionSecret),
  );
  clients.push(client);
  const call = client.Dispatch();
  const events: wire.DispatchEvent__Output[] = [];
  call.on('data', (response: wire.DispatchResponse__Output) => events.push(...response.events));
  call.on('error', () => {});
  return { call, events };
}

function execute(jobId: string, command: string): wire.ExecuteRequest {
  return {
    jobId,
    attempt: 1,
    spec: specToWire({ type: 'step', command }),
    fromOffset: 0,
    outputLimitBytes: 0,
    killGraceMs: 0,
  };
}

const kinds = (events: wire.DispatchEvent__Output[], jobId: string): string[] =>
  events
    .filter((event) => event.jobId === jobId)
    .map((event) => (event.accepted ? 'accepted' : event.started ? 'started' : event.finished ? 'finished' : 'other'));

describe('the worker end of a Dispatch stream', () => {
  it('a task that ends before its start was sent costs one event, which carries the start', async () => {
    const { call, events } = await dispatchTo(new StepExecutor());
    call.write({ execute: [execute('quick', 'instant')] });
    await until(() => kinds(events, 'quick').includes('finished'), { message: 'the finished event' });
    expect(kinds(events, 'quick')).toEqual(['finished']);
    const finished = events.find((event) => event.jobId === 'quick')?.finished;
    expect(finished?.succeeded).toBe(true);
    expect(num(finished?.startedAtMs)).toBeGreaterThan(0);
  });

  it('a task that has not started is answered with accepted, held only briefly', async () => {
    const executor = new StepExecutor();
    const { call, events } = await dispatchTo(executor);
    call.write({ execute: [execute('late', 'unstarted')] });
    await until(() => kinds(events, 'late').length > 0, { message: 'an answer' });
    expect(kinds(events, 'late')).toEqual(['accepted']);
    executor.finishAll();
    await until(() => kinds(events, 'late').includes('started'), { message: 'the started event' });
    executor.finishAll();
    await until(() => kinds(events, 'late').includes('finished'), { message: 'the finished event' });
    expect(kinds(events, 'late')).toEqual(['accepted', 'started', 'finished']);
  });

  it('a task still running when its start was sent gets started, then finished', async () => {
    const executor = new StepExecutor();
    const { call, events } = await dispatchTo(executor);
    call.write({ execute: [execute('slow', 'wait')] });
    await until(() => kinds(events, 'slow').includes('started'), { message: 'the started event' });
    expect(executor.waiting).toBe(1);
    executor.finishAll();
    await until(() => kinds(events, 'slow').includes('finished'), { message: 'the finished event' });
    // The start took the place of the acceptance: one answer, then the end.
    expect(kinds(events, 'slow')).toEqual(['started', 'finished']);
    const started = events.find((event) => event.jobId === 'slow' && event.started)?.started;
    expect(started?.pid).toBe(4242);
  });

  it('refuses every order of a master from an older epoch than one it has seen, and obeys the current one', async () => {
    const executor = new StepExecutor();
    const { call, events } = await dispatchTo(executor, 5);
    call.write({ execute: [execute('current', 'instant')], masterEpoch: 5 });
    await until(() => kinds(events, 'current').includes('finished'), { message: 'the current order to run' });
    // A master that led under epoch 4 (paused, and woken after another took the lease) sends an attempt.
    call.write({ execute: [execute('stale', 'instant')], masterEpoch: 4 });
    await until(() => events.some((event) => event.jobId === 'stale'), { message: 'an answer to the stale order' });
    const declined = events.find((event) => event.jobId === 'stale')?.declined;
    expect(declined?.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(declined?.message).toMatch(/follows the master of epoch 5/);
    expect(kinds(events, 'stale')).toEqual(['other']);
  });
});
