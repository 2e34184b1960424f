import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { DistExecClient, PermissionDeniedError, UnauthenticatedError } from '@dist-exec/client';
import { Master } from '@dist-exec/master';
import { v1, withBearerToken } from '@dist-exec/proto';
import { Worker } from '@dist-exec/worker';
import {
  httpRequest,
  startMasterProcess,
  startProgram,
  startTestCluster,
  tempDir,
  testLogger,
  until,
  type RunningProgram,
  type TestCluster,
} from '@dist-exec/testing';

const clusters: TestCluster[] = [];
const programs: RunningProgram[] = [];
const stoppers: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const program of programs.splice(0)) {
    program.kill('SIGKILL');
    await program.exited;
  }
  for (const stop of stoppers.splice(0).reverse()) await stop();
  for (const cluster of clusters.splice(0)) await cluster.stop();
});

async function cluster(...args: Parameters<typeof startTestCluster>): Promise<TestCluster> {
  const started = await startTestCluster(...args);
  clusters.push(started);
  return started;
}

/** A logger whose JSON lines the test reads. */
function capturedLogger(): { logger: pino.Logger; lines: () => Record<string, unknown>[]; text: () => string } {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const text = (): string => chunks.join('');
  return {
    logger: pino({ level: 'info' }, sink),
    text,
    lines: () =>
      text()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

function client(address: string, token: string): DistExecClient {
  const c = new DistExecClient({ address, token, retry: { retries: 0 } });
  stoppers.push(async () => c.close());
  return c;
}

describe('node ids belong to the worker that first registered them', () => {
  it('a second worker cannot take over a live id; the first, restarted with its state dir, comes back at once on a new address', async () => {
    const c = await cluster({ workers: 0, master: { heartbeatIntervalMs: 200, heartbeatTimeoutMs: 10_000 } });
    const stateDir = tempDir();
    const worker = (dir: string): Worker =>
      new Worker(
        { masterAddress: c.address, host: '127.0.0.1', port: 0, id: 'phoenix', stateDir: dir, token: c.workerToken },
        { logger: testLogger() },
      );
    const first = worker(stateDir);
    await first.start();
    stoppers.push(() => first.kill());
    await until(() => c.master.nodes.list().find((n) => n.id === 'phoenix'));
    const secretFile = join(stateDir, 'node-secret');
    await until(() => existsSync(secretFile), { message: 'the worker to keep its node secret' });
    expect(statSync(secretFile).mode & 0o777).toBe(0o600);
    expect(statSync(stateDir).mode & 0o777).toBe(0o700);
    const address = c.master.nodes.list().find((n) => n.id === 'phoenix')?.address;

    // Another process with the same id and a valid worker token, as a second `dist-exec up` would start.
    const intruder = startProgram(
      'worker',
      ['--master', c.address, '--port', '0', '--id', 'phoenix', '--state-dir', tempDir()],
      { DIST_EXEC_TOKEN: c.workerToken },
    );
    programs.push(intruder);
    const refused = await intruder.waitForLog('the master refused this worker');
    expect(String(refused.error)).toMatch(/node id "phoenix" belongs to another worker/);
    expect(c.master.nodes.list().find((n) => n.id === 'phoenix')?.address).toBe(address);

    // The same over the wire, with a made-up secret: ALREADY_EXISTS, and the node unchanged.
    const nodes = new v1.NodeService(c.address, grpc.credentials.createInsecure(), withBearerToken({}, c.workerToken));
    stoppers.push(async () => nodes.close());
    const takeover = await new Promise<grpc.ServiceError | null>((resolve) =>
      nodes.Register(
        {
          nodeId: 'phoenix',
          address: '127.0.0.1:1',
          capabilities: ['command'],
          maxTasks: 1,
          nodeSecret: 'g'.repeat(43),
        },
        (error) => resolve(error),
      ),
    );
    expect(takeover?.code).toBe(grpc.status.ALREADY_EXISTS);
    // Nor may it heartbeat or leave for the node.
    const beat = await new Promise<grpc.ServiceError | null>((resolve) =>
      nodes.Heartbeat({ nodeId: 'phoenix', nodeSecret: 'guess' }, (error) => resolve(error)),
    );
    expect(beat?.code).toBe(grpc.status.PERMISSION_DENIED);
    const leave = await new Promise<grpc.ServiceError | null>((resolve) =>
      nodes.Deregister({ nodeId: 'phoenix' }, (error) => resolve(error)),
    );
    expect(leave?.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(c.master.nodes.list().map((n) => n.id)).toEqual(['phoenix']);

    // kill -9 and a restart with the same state dir: the node is still held (not LOST), and it is ours.
    await first.kill();
    const second = worker(stateDir);
    const { port } = await second.start();
    stoppers.push(() => second.kill());
    await until(() => c.master.nodes.list().find((n) => n.id === 'phoenix' && n.address === `127.0.0.1:${port}`), {
      message: 'the restarted worker to register on its new address',
    });
    const { job } = await c.client.submit({ command: 'echo back' });
    expect(await c.client.waitForJob(job.id)).toMatchObject({ state: 'COMPLETED', workerId: 'phoenix' });
  });

  it('an id whose node is LOST is free: a worker without its secret takes it over', async () => {
    const c = await cluster({
      workers: 0,
      master: { heartbeatIntervalMs: 100, heartbeatTimeoutMs: 300, nodeLostTimeoutMs: 600 },
    });
    const gone = new Worker(
      {
        masterAddress: c.address,
        host: '127.0.0.1',
        port: 0,
        id: 'lazarus',
        stateDir: tempDir(),
        token: c.workerToken,
      },
      { logger: testLogger() },
    );
    await gone.start();
    await until(() => c.master.nodes.list().find((n) => n.id === 'lazarus'));
    await gone.kill();
    await until(() => c.master.nodes.list().find((n) => n.id === 'lazarus' && n.state === 'LOST'), {
      message: 'the node to be LOST',
    });
    const heir = new Worker(
      {
        masterAddress: c.address,
        host: '127.0.0.1',
        port: 0,
        id: 'lazarus',
        stateDir: tempDir(),
        token: c.workerToken,
      },
      { logger: testLogger() },
    );
    await heir.start();
    stoppers.push(() => heir.kill());
    await until(() => c.master.nodes.list().find((n) => n.id === 'lazarus' && n.state === 'HEALTHY'), {
      message: 'the new worker to hold the id',
    });
  });
});

describe('revoking a token', () => {
  it('ends its open streams within seconds: a WatchJob, an event stream, and its worker with its node', async () => {
    const c = await cluster({ workers: 1 });
    const { secret: watcher } = await c.master.tokens.create({ name: 'watcher', role: 'read', ttlMs: 0 }, 'test');
    const { secret: doomed } = await c.master.tokens.create(
      { name: 'doomed-workers', role: 'worker', ttlMs: 0 },
      'test',
    );
    const { job } = await c.client.submit({ command: 'sleep 120', constraints: { pool: 'doomed' } });
    const worker = new Worker(
      {
        masterAddress: c.address,
        host: '127.0.0.1',
        port: 0,
        id: 'doomed',
        stateDir: tempDir(),
        token: doomed,
        labels: { pool: 'doomed' },
      },
      { logger: testLogger() },
    );
    await worker.start();
    stoppers.push(() => worker.kill());
    await until(async () => (await c.client.getJob(job.id)).state === 'RUNNING', { message: 'the job to run there' });

    const watch = client(c.address, watcher).watch(job.id);
    const watchEnded = (async () => {
      for await (const _event of watch);
    })().then(
      () => null,
      (error: unknown) => error,
    );
    const events = await eventStream(c.master.httpPort, watcher);

    const revokedAt = Date.now();
    await c.master.tokens.revoke('watcher');
    await c.master.tokens.revoke('doomed-workers');
    const watchError = await watchEnded;
    expect(watchError).toBeInstanceOf(UnauthenticatedError);
    expect(String((watchError as Error).message)).toMatch(/token "watcher" was revoked/);
    await events.closed;
    // The worker's node goes at once; its job is given back to be run elsewhere.
    await until(() => !c.master.nodes.list().some((n) => n.id === 'doomed'), { message: 'the node to go' });
    expect(Date.now() - revokedAt).toBeLessThan(5000);
    expect((await c.client.getJob(job.id)).attemptHistory[0]).toMatchObject({ reason: 'WORKER_LOST' });
    // And the next call with the token is refused.
    await expect(client(c.address, watcher).listJobs()).rejects.toThrow(/was revoked/);
    await c.client.cancel(job.id);
  });
});

/** An open /api/v1/events stream; `closed` resolves when the server ends it. */
function eventStream(port: number, token: string): Promise<{ closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    import('node:http').then(({ request }) => {
      const req = request(
        `http://127.0.0.1:${port}/api/v1/events`,
        { headers: { authorization: `Bearer ${token}` } },
        (res) => {
          expect(res.statusCode).toBe(200);
          res.resume();
          resolve({ closed: new Promise((done) => res.once('close', () => done())) });
        },
      );
      req.on('error', () => {});
      req.end();
    }, reject);
  });
}

describe('audit and secrets', () => {
  it('records who submitted and who cancelled; reads show env names, never values, unless an admin asks', async () => {
    const c = await cluster({ workers: 1 });
    const { secret: ci } = await c.master.tokens.create({ name: 'ci', role: 'submit', ttlMs: 0 }, 'test');
    const { secret: ops } = await c.master.tokens.create({ name: 'ops', role: 'submit', ttlMs: 0 }, 'test');
    const { secret: viewer } = await c.master.tokens.create({ name: 'viewer', role: 'read', ttlMs: 0 }, 'test');
    const submitted = await client(c.address, ci).submit({ command: 'echo "$API_KEY"', env: { API_KEY: 'hunter2' } });
    expect(submitted.job.submittedBy).toBe('ci');
    expect(submitted.job.spec.env).toEqual({});
    const done = await c.client.waitForJob(submitted.job.id);
    // The worker got the value: the job printed it.
    const read = await client(c.address, viewer).getJob(done.id, { output: true });
    expect(Buffer.from(read.stdout ?? []).toString()).toBe('hunter2\n');
    expect(read).toMatchObject({ submittedBy: 'ci', envNames: ['API_KEY'] });
    expect(read.spec.env).toEqual({});
    await expect(client(c.address, viewer).getJob(done.id, { env: true })).rejects.toBeInstanceOf(
      PermissionDeniedError,
    );
    expect((await c.client.getJob(done.id, { env: true })).spec.env).toEqual({ API_KEY: 'hunter2' });
    // Every read path: lists, watches, RunJob's events, HTTP.
    const listed = (await client(c.address, viewer).listJobs()).jobs.find((j) => j.id === done.id);
    expect(listed?.spec.env).toEqual({});
    for await (const event of client(c.address, viewer).watch(done.id, { follow: false }))
      if (event.type === 'job') expect(event.job.spec.env).toEqual({});
    for await (const event of client(c.address, ci).run({ command: 'true', env: { TOKEN: 's3cret' } }))
      if (event.type !== 'output') expect(JSON.stringify(event)).not.toContain('s3cret');
    const base = `http://127.0.0.1:${c.master.httpPort}/api/v1/jobs/${done.id}`;
    const http = await httpRequest(base, { token: viewer });
    expect(http.json).toMatchObject({ submittedBy: 'ci', envNames: ['API_KEY'] });
    expect(http.text).not.toContain('hunter2"');
    expect((await httpRequest(`${base}?env=true`, { token: viewer })).status).toBe(403);
    expect((await httpRequest(`${base}?env=true&output=false`, { token: c.adminToken })).json).toMatchObject({
      env: { API_KEY: 'hunter2' },
    });

    const { job: long } = await client(c.address, ci).submit({ command: 'sleep 60' });
    const cancelled = await client(c.address, ops).cancel(long.id);
    expect(cancelled).toMatchObject({
      state: 'CANCELLED',
      submittedBy: 'ci',
      cancelledBy: 'ops',
      error: 'cancelled by ops',
    });
    const cancelledOverHttp = await httpRequest(`http://127.0.0.1:${c.master.httpPort}/api/v1/jobs/${long.id}`, {
      token: viewer,
    });
    expect(cancelledOverHttp.json).toMatchObject({ submittedBy: 'ci', cancelledBy: 'ops' });
  });

  it('logs each refused call, rate-limited, with the method and why, never the token', async () => {
    const log = capturedLogger();
    const c = await cluster({ workers: 0, masterDeps: { logger: log.logger } });
    const wrong = `dxt_${'Q'.repeat(43)}`;
    for (let i = 0; i < 30; i += 1)
      await client(c.address, wrong)
        .listNodes()
        .catch(() => {});
    await httpRequest(`http://127.0.0.1:${c.master.httpPort}/api/v1/jobs`, { token: wrong });
    const refusals = log.lines().filter((l) => l.msg === 'call refused');
    expect(refusals.length).toBe(10);
    expect(refusals[0]).toMatchObject({
      component: 'auth',
      method: '/distexec.v1.NodeService/ListNodes',
      code: 'UNAUTHENTICATED',
      reason: expect.stringMatching(/unknown token/),
      peer: expect.any(String),
    });
    expect(log.text()).not.toContain(wrong.slice(4));
    expect(log.text()).not.toContain(c.adminToken.slice(4));
    expect(log.lines().find((l) => l.msg === 'admin token file')).toMatchObject({
      file: c.master.options.adminTokenFile,
    });
  });
});

describe('the bootstrap admin token', () => {
  it('is written 0600 at first start, kept across restarts with every store, and tokens made meanwhile survive (sqlite)', async () => {
    const dataDir = tempDir();
    const start = async (store: 'sqlite' | 'memory'): Promise<Master> => {
      const master = new Master({ host: '127.0.0.1', port: 0, httpPort: 0, store, dataDir }, { logger: testLogger() });
      await master.start();
      return master;
    };
    const first = await start('sqlite');
    const file = join(dataDir, 'admin.token');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8').trim()).toBe(first.adminToken);
    const { secret } = await first.tokens.create({ name: 'kept', role: 'read', ttlMs: 0 }, 'admin');
    const { secret: dropped } = await first.tokens.create({ name: 'dropped', role: 'read', ttlMs: 0 }, 'admin');
    await first.tokens.revoke('dropped');
    const admin = first.adminToken;
    await first.stop();

    const second = await start('sqlite');
    stoppers.push(() => second.stop());
    expect(second.adminToken).toBe(admin);
    expect(second.tokens.authenticate(secret).ok).toBe(true);
    expect(second.tokens.authenticate(dropped)).toMatchObject({ ok: false, reason: expect.stringMatching(/revoked/) });
    await second.stop();
    stoppers.pop();

    const memory = await start('memory');
    stoppers.push(() => memory.stop());
    expect(memory.adminToken).toBe(admin);
  });

  it('stops the master with one line when its file is readable by every user or holds no token', async () => {
    const dataDir = tempDir();
    writeFileSync(join(dataDir, 'admin.token'), `dxt_${'a'.repeat(43)}\n`, { mode: 0o644 });
    chmodSync(join(dataDir, 'admin.token'), 0o644);
    const open = startProgram('master', [
      '--port',
      '0',
      '--http-port',
      '0',
      '--store',
      'memory',
      '--data-dir',
      dataDir,
    ]);
    expect((await open.exited).code).toBe(1);
    const said = open.logs.map((l) => String(l.msg)).join('\n');
    expect(said).toMatch(/admin token file .*admin\.token: is readable by every user \(mode 644\); run chmod 600/);
    expect(said).not.toMatch(/\n\s+at /);
  });

  it('listening on every interface is a flag away, and the master warns that it is not encrypted', async () => {
    const master = await startMasterProcess(['--host', '0.0.0.0']);
    programs.push(master);
    expect(
      await master.waitForLog(
        'listening beyond this machine without TLS: tokens, commands and output cross the network unencrypted',
      ),
    ).toMatchObject({ host: '0.0.0.0' });
  });
});

describe('/metrics', () => {
  it('needs a read token, unless the master is started with --public-metrics', async () => {
    const closed = await cluster({ workers: 0 });
    const open = await cluster({ workers: 0, master: { publicMetrics: true } });
    expect((await httpRequest(`http://127.0.0.1:${closed.master.httpPort}/metrics`)).status).toBe(401);
    expect((await httpRequest(`http://127.0.0.1:${open.master.httpPort}/metrics`)).status).toBe(200);
  });
});

describe('a worker', () => {
  it('without a token refuses to start, saying where to put one', async () => {
    const worker = startProgram('worker', ['--master', '127.0.0.1:1', '--port', '0']);
    expect((await worker.exited).code).toBe(2);
    expect(worker.logs.map((l) => String(l.msg)).join('\n')).toMatch(
      /^dist-exec-worker: no token: a worker needs a worker \(or admin\) token; pass --token-file/,
    );
  });
});
