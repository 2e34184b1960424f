import { request } from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenRole } from '@dist-exec/core';
import { HTTP_ACCESS } from '@dist-exec/master';
import { v1, withBearerToken } from '@dist-exec/proto';
import { METHOD_ACCESS } from '@dist-exec/runtime';
import { httpRequest, startTestCluster, type TestCluster } from '@dist-exec/testing';

/**
 * Every door of a real master (gRPC JobService, NodeService, TokenService;
 * every HTTP route) and of a real worker (ExecutionService), called without
 * a token, with a wrong one, a revoked one, one whose role is too small, and
 * the right one.
 */
type Kind = 'unary' | 'server' | 'bidi';
type ServiceName = 'JobService' | 'NodeService' | 'TokenService' | 'ExecutionService';

interface Door {
  service: ServiceName;
  method: string;
  kind: Kind;
  /** The least role that may call it (the worker's doors: the master's credential). */
  role: TokenRole | 'master';
  /** A role that may not. */
  below?: TokenRole;
  request(): object;
  /** What the right caller gets (OK unless the request is meant to reach the handler and be turned down there). */
  expect?: grpc.status;
}

let cluster: TestCluster;
const tokens = {} as Record<TokenRole, string>;
const revoked = {} as Record<TokenRole, string>;
let jobId = '';
let nodeSecret = '';
const WRONG = `dxt_${'Z'.repeat(43)}`;

beforeAll(async () => {
  cluster = await startTestCluster({ workers: 1 });
  for (const role of ['admin', 'submit', 'read', 'worker'] as const) {
    tokens[role] = (await cluster.master.tokens.create({ name: `door-${role}`, role, ttlMs: 0 }, 'test')).secret;
    revoked[role] = (await cluster.master.tokens.create({ name: `gone-${role}`, role, ttlMs: 0 }, 'test')).secret;
    await cluster.master.tokens.revoke(`gone-${role}`);
  }
  jobId = (await cluster.client.submit({ command: 'sleep 300' })).job.id;
});
afterAll(async () => {
  await cluster?.client.cancel(jobId).catch(() => {});
  await cluster?.stop();
});

/** A node the doors' rows register, heartbeat, drain and remove; draining, so it is never sent work. */
const fakeNode = (): object => ({
  nodeId: 'door-node',
  address: '127.0.0.1:1',
  capabilities: ['command'],
  maxTasks: 1,
  draining: true,
  nodeSecret,
});

const DOORS: Door[] = [
  {
    service: 'JobService',
    method: 'SubmitJob',
    kind: 'unary',
    role: 'submit',
    below: 'read',
    request: () => ({ spec: { command: 'true' } }),
  },
  {
    service: 'JobService',
    method: 'SubmitJobs',
    kind: 'unary',
    role: 'submit',
    below: 'read',
    request: () => ({ specs: [{ command: 'true' }] }),
  },
  {
    service: 'JobService',
    method: 'RunJob',
    kind: 'server',
    role: 'submit',
    below: 'read',
    request: () => ({ spec: { command: 'true' } }),
  },
  {
    service: 'JobService',
    method: 'CancelJob',
    kind: 'unary',
    role: 'submit',
    below: 'read',
    request: () => ({ id: jobId }),
  },
  {
    service: 'JobService',
    method: 'GetJob',
    kind: 'unary',
    role: 'read',
    below: 'worker',
    request: () => ({ id: jobId }),
  },
  { service: 'JobService', method: 'ListJobs', kind: 'unary', role: 'read', below: 'worker', request: () => ({}) },
  {
    service: 'JobService',
    method: 'WatchJob',
    kind: 'server',
    role: 'read',
    below: 'worker',
    request: () => ({ id: jobId }),
  },
  {
    service: 'JobService',
    method: 'WatchJobs',
    kind: 'server',
    role: 'read',
    below: 'worker',
    request: () => ({ ids: [jobId] }),
  },
  { service: 'NodeService', method: 'Register', kind: 'unary', role: 'worker', below: 'submit', request: fakeNode },
  {
    service: 'NodeService',
    method: 'Heartbeat',
    kind: 'unary',
    role: 'worker',
    below: 'submit',
    request: () => ({ nodeId: 'door-node', nodeSecret }),
  },
  {
    service: 'NodeService',
    method: 'Heartbeats',
    kind: 'bidi',
    role: 'worker',
    below: 'submit',
    request: () => ({ nodeId: 'door-node', nodeSecret }),
  },
  {
    service: 'NodeService',
    method: 'DrainNode',
    kind: 'unary',
    role: 'worker',
    below: 'submit',
    request: () => ({ nodeId: 'door-node', nodeSecret }),
  },
  {
    service: 'NodeService',
    method: 'UndrainNode',
    kind: 'unary',
    role: 'worker',
    below: 'submit',
    request: () => ({ nodeId: 'door-node', nodeSecret }),
  },
  {
    service: 'NodeService',
    method: 'Deregister',
    kind: 'unary',
    role: 'worker',
    below: 'submit',
    request: () => ({ nodeId: 'door-node', nodeSecret }),
  },
  { service: 'NodeService', method: 'ListNodes', kind: 'unary', role: 'read', below: 'worker', request: () => ({}) },
  { service: 'NodeService', method: 'GetCluster', kind: 'unary', role: 'read', below: 'worker', request: () => ({}) },
  {
    service: 'TokenService',
    method: 'CreateToken',
    kind: 'unary',
    role: 'admin',
    below: 'submit',
    request: () => ({ name: `made-${Date.now()}`, role: 'TOKEN_ROLE_READ' }),
  },
  { service: 'TokenService', method: 'ListTokens', kind: 'unary', role: 'admin', below: 'submit', request: () => ({}) },
  {
    service: 'TokenService',
    method: 'RevokeToken',
    kind: 'unary',
    role: 'admin',
    below: 'submit',
    request: () => ({ name: 'gone-read' }),
  },
  // The worker's doors: the master's credential, which no token of the master is.
  {
    service: 'ExecutionService',
    method: 'Execute',
    kind: 'server',
    role: 'master',
    request: () => ({ jobId: 'door', attempt: 1, spec: { type: 'no-such-type' } }),
    expect: grpc.status.INVALID_ARGUMENT,
  },
  {
    service: 'ExecutionService',
    method: 'Cancel',
    kind: 'unary',
    role: 'master',
    request: () => ({ jobId: 'door', attempt: 1 }),
  },
  {
    service: 'ExecutionService',
    method: 'Dispatch',
    kind: 'bidi',
    role: 'master',
    request: () => ({ execute: [{ jobId: 'door', attempt: 1, spec: { type: 'no-such-type' } }] }),
  },
];

function address(service: ServiceName): string {
  if (service !== 'ExecutionService') return cluster.address;
  return cluster.master.cluster.registry.get('worker-1')?.address as string;
}

/** The gRPC status a call ends with (OK when it answers, or a stream yields its first message). */
function call(door: Door, token: string | null): Promise<{ code: grpc.status; details: string; value?: unknown }> {
  const Client = v1[door.service] as unknown as grpc.ServiceClientConstructor;
  const client = new Client(address(door.service), grpc.credentials.createInsecure(), withBearerToken({}, token ?? ''));
  const method = (client as unknown as Record<string, (...args: unknown[]) => grpc.ClientReadableStream<unknown>>)[
    door.method
  ] as (...args: unknown[]) => unknown;
  const deadline = { deadline: new Date(Date.now() + 20_000) };
  return new Promise((resolve) => {
    const done = (result: { code: grpc.status; details: string; value?: unknown }): void => {
      client.close();
      resolve(result);
    };
    if (door.kind === 'unary') {
      method.call(client, door.request(), deadline, (error: grpc.ServiceError | null, value: unknown) =>
        done(error ? { code: error.code, details: error.details } : { code: grpc.status.OK, details: '', value }),
      );
      return;
    }
    const stream = (
      door.kind === 'server' ? method.call(client, door.request(), deadline) : method.call(client, deadline)
    ) as grpc.ClientDuplexStream<object, unknown>;
    stream.on('data', (value) => {
      done({ code: grpc.status.OK, details: '', value });
      stream.cancel();
    });
    stream.on('error', (error: grpc.ServiceError) => done({ code: error.code, details: error.details }));
    if (door.kind === 'bidi') stream.write(door.request());
  });
}

describe('every gRPC door checks its caller', () => {
  it('the table of doors covers every method the master and the workers serve', () => {
    const served = (['JobService', 'NodeService', 'TokenService', 'ExecutionService'] as const).flatMap((service) =>
      Object.values((v1[service] as unknown as { service: grpc.ServiceDefinition }).service).map((m) => m.path),
    );
    expect(DOORS.map((d) => `/distexec.v1.${d.service}/${d.method}`).sort()).toEqual([...served].sort());
    for (const path of served) expect(METHOD_ACCESS.has(path), path).toBe(true);
  });

  for (const door of DOORS) {
    it(`${door.service}.${door.method}: refused without a token, with a wrong, revoked or too small one; served with the right one`, async () => {
      const none = await call(door, null);
      expect(none.code, none.details).toBe(grpc.status.UNAUTHENTICATED);
      expect(none.details).toMatch(door.role === 'master' ? /serves only the master/ : /needs a token: pass --token/);
      expect((await call(door, WRONG)).code).toBe(grpc.status.UNAUTHENTICATED);
      if (door.role === 'master') {
        // A token of the master is no credential for a worker, however mighty.
        const admin = await call(door, tokens.admin);
        expect(admin.code, admin.details).toBe(grpc.status.UNAUTHENTICATED);
        const master = cluster.master.cluster.registry.get('worker-1')?.executionSecret as string;
        const served = await call(door, master);
        expect(served.code, served.details).toBe(door.expect ?? grpc.status.OK);
        return;
      }
      const gone = await call(door, revoked[door.role]);
      expect(gone.code).toBe(grpc.status.UNAUTHENTICATED);
      expect(gone.details).toMatch(/was revoked/);
      const small = await call(door, tokens[door.below as TokenRole]);
      expect(small.code, small.details).toBe(grpc.status.PERMISSION_DENIED);
      expect(small.details).toMatch(new RegExp(`may not call ${door.method}: it needs an? ${door.role} token`));
      const served = await call(door, tokens[door.role]);
      expect(served.code, served.details).toBe(door.expect ?? grpc.status.OK);
      if (door.method === 'Register') nodeSecret = (served.value as { nodeSecret: string }).nodeSecret;
    });
  }

  it('health and reflection need no token', async () => {
    const health = new grpc.Client(cluster.address, grpc.credentials.createInsecure());
    const status = await new Promise<grpc.status>((resolve) =>
      health.makeUnaryRequest(
        '/grpc.health.v1.Health/Check',
        () => Buffer.alloc(0),
        (b: Buffer) => b,
        {},
        (error) => resolve(error ? error.code : grpc.status.OK),
      ),
    );
    expect(status).toBe(grpc.status.OK);
    health.close();
  });
});

/** The HTTP routes, with a real id where they take one. */
function url(route: string): { method: string; path: string; body?: string } {
  const [method, pattern] = route.split(' ') as [string, string];
  // A node's routes get the cluster's worker (drain is followed by undrain in the table); the rest a job.
  const path = pattern.replace(':id', pattern.startsWith('/api/v1/nodes/') ? 'worker-1' : jobId);
  if (method !== 'POST') return { method, path };
  return { method, path, body: ['/jobs', '/api/v1/jobs', '/api/jobs'].includes(path) ? '{"command":"true"}' : '' };
}

async function http(route: string, token: string | null, headers: Record<string, string> = {}) {
  const { method, path, body } = url(route);
  return httpRequest(`http://127.0.0.1:${cluster.master.httpPort}${path}`, {
    method,
    headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body ? { body } : {}),
    ...(token ? { token } : {}),
  });
}

describe('every HTTP door checks its caller', () => {
  const BELOW: Record<string, TokenRole> = { read: 'worker', submit: 'read', admin: 'submit' };
  for (const [route, need] of HTTP_ACCESS) {
    it(`${route}: ${need === 'open' ? 'open to all' : `refused without a ${need} token, served with one`}`, async () => {
      if (need === 'open') {
        expect((await http(route, null)).status).toBe(200);
        return;
      }
      const none = await http(route, null);
      expect(none.status, none.text).toBe(401);
      expect(none.headers['www-authenticate']).toBe('Bearer realm="dist-exec"');
      expect(none.json).toEqual({
        error: { code: 'UNAUTHENTICATED', message: expect.stringMatching(/Authorization: Bearer/) },
      });
      expect((await http(route, WRONG)).status).toBe(401);
      const gone = await http(route, revoked[need as TokenRole]);
      expect(gone.status).toBe(401);
      expect(gone.text).toMatch(/was revoked/);
      const small = await http(route, tokens[BELOW[need] as TokenRole]);
      expect(small.status, small.text).toBe(403);
      expect((small.json as { error: { code: string } }).error.code).toBe('PERMISSION_DENIED');
      // Event streams answer 200 at once and stay open: only the head is awaited.
      if (route === 'GET /api/v1/events' || route.endsWith('/logs')) {
        const head = await streamHead(url(route).path, tokens[need as TokenRole]);
        expect(head).toBe(200);
        return;
      }
      const served = await http(route, tokens[need as TokenRole]);
      if (route === 'GET /api/v1/backup') {
        // Past the door: this cluster's memory store has no file to copy, and says so.
        expect(served.json).toEqual({
          error: { code: 'FAILED_PRECONDITION', message: expect.stringMatching(/has no file to back up/) },
        });
        return;
      }
      expect(served.status, served.text).toBeLessThan(300);
    });
  }

  it('a cross-origin text/plain or form post is refused, even with a token; so is a rebinding Host', async () => {
    const base = `http://127.0.0.1:${cluster.master.httpPort}`;
    const post = (path: string, headers: Record<string, string>, body: string) =>
      httpRequest(`${base}${path}`, { method: 'POST', headers, body, token: tokens.admin });
    const evil = { origin: 'http://evil.example', 'content-type': 'text/plain' };
    const crossSite = await post('/api/v1/jobs', evil, '{"command":"id"}');
    expect(crossSite.status).toBe(403);
    expect(crossSite.text).toMatch(/cross-origin write from http:\/\/evil\.example refused/);
    const form = await post(
      `/api/v1/jobs/${jobId}/cancel`,
      { 'content-type': 'application/x-www-form-urlencoded' },
      'x=1',
    );
    expect(form.status).toBe(415);
    expect(await post('/jobs', { 'content-type': 'text/plain' }, '{"command":"id"}')).toMatchObject({ status: 415 });
    // DNS rebinding: the page's own name in Host, though the address is ours.
    const rebound = await httpRequest(`${base}/api/v1/jobs`, {
      method: 'POST',
      headers: {
        host: `evil.example:${cluster.master.httpPort}`,
        origin: `http://evil.example:${cluster.master.httpPort}`,
        'content-type': 'application/json',
      },
      body: '{"command":"id"}',
      token: tokens.admin,
    });
    expect(rebound.status).toBe(403);
    expect(rebound.text).toMatch(/--http-allowed-hosts evil\.example/);
    const read = await httpRequest(`${base}/api/v1/jobs`, { headers: { host: 'evil.example' }, token: tokens.admin });
    expect(read.status).toBe(403);
    // Same origin, and names the machine answers to: fine.
    const same = await httpRequest(`${base}/api/v1/jobs`, {
      method: 'POST',
      headers: { origin: base, 'content-type': 'application/json' },
      body: '{"command":"true"}',
      token: tokens.submit,
    });
    expect(same.status).toBe(201);
    expect((await httpRequest(`${base}/healthz`, { headers: { host: 'evil.example' } })).status).toBe(200);
  });
});

/** The status of a streaming response, then the connection is dropped. */
function streamHead(path: string, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      `http://127.0.0.1:${cluster.master.httpPort}${path}`,
      { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' } },
      (res) => {
        resolve(res.statusCode ?? 0);
        res.destroy();
      },
    );
    req.on('error', (error) => (/socket hang up|aborted/.test(error.message) ? undefined : reject(error)));
    req.end();
  });
}
