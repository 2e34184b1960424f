import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ServiceError } from '@grpc/grpc-js';
import { DistExecClient } from '@dist-exec/client';
import { PermissionDeniedError, ResourceExhaustedError } from '@dist-exec/core';
import { httpRequest, runCli, startProgram, startTestCluster, until, type TestCluster } from '@dist-exec/testing';

/**
 * Command rules (the master's, a token's, a worker's), per-token rate limits and quotas,
 * observed from outside: the CLI, the SDK and the HTTP API against a real
 * master and worker.
 */
let cluster: TestCluster;
let env: NodeJS.ProcessEnv;
/** An HTTP service on loopback that the worker lets http tasks reach (--http-allow 127.0.0.1:PORT). */
let service: Server;
let servicePort = 0;

beforeAll(async () => {
  service = createServer((_req, res) => res.end('from the allowed service'));
  await new Promise<void>((resolve) => service.listen(0, '127.0.0.1', resolve));
  servicePort = (service.address() as AddressInfo).port;
  cluster = await startTestCluster({
    workers: 1,
    master: { denyCommands: ['rm -rf'] },
    worker: { denyCommands: ['forbidden-here'], maxTasks: 8, httpAllow: [`127.0.0.1:${servicePort}`] },
  });
  env = { DIST_EXEC_MASTER: cluster.address, DIST_EXEC_TOKEN: cluster.adminToken };
});
afterAll(async () => {
  await cluster?.stop();
  service?.close();
});

describe('command rules', () => {
  it('the master refuses a command its --deny-command matches, on every door, naming the rule', async () => {
    const cli = await runCli(['run', 'rm -rf /tmp/nothing-here'], env);
    expect(cli.code).toBe(125);
    expect(cli.stderr).toBe('dist-exec: refused by the master\'s --deny-command "rm -rf"\n');

    await expect(cluster.client.submit({ command: 'echo ok && rm -rf /x' })).rejects.toThrow(PermissionDeniedError);
    const http = await httpRequest(`http://127.0.0.1:${cluster.master.httpPort}/api/v1/jobs`, {
      method: 'POST',
      token: cluster.adminToken,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ command: 'rm -rf /' }),
    });
    expect(http.status).toBe(403);
    expect(http.json).toEqual({
      error: { code: 'PERMISSION_DENIED', message: 'refused by the master\'s --deny-command "rm -rf"' },
    });
    // Nothing refused was stored.
    expect((await cluster.client.listJobs()).jobs.some((job) => job.spec.command.includes('rm -rf'))).toBe(false);
  });

  it("a token's --allow-command lets through only commands it matches whole", async () => {
    const made = await runCli(
      ['token', 'create', '--name', 'echoer', '--role', 'submit', '--allow-command', 'echo [a-z]+'],
      env,
    );
    expect(made.code).toBe(0);
    const tokenEnv = { DIST_EXEC_MASTER: cluster.address, DIST_EXEC_TOKEN: made.stdout.toString().trim() };
    const ok = await runCli(['run', 'echo fine'], tokenEnv);
    expect(ok.code).toBe(0);
    expect(ok.stdout.toString()).toBe('fine\n');
    const refused = await runCli(['run', 'echo fine; id'], tokenEnv);
    expect(refused.code).toBe(125);
    expect(refused.stderr).toContain(
      'refused: the command matches none of token "echoer"\'s --allow-command rules ("echo [a-z]+"',
    );
    // Seed 004's POST /api/jobs runs the same submit command: the token's rules apply there too.
    const viaDashboardApi = await httpRequest(`http://127.0.0.1:${cluster.master.httpPort}/api/jobs`, {
      method: 'POST',
      token: made.stdout.toString().trim(),
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ command: 'echo fine; id' }),
    });
    expect(viaDashboardApi.json).toMatchObject({ success: false, job_id: null });
    expect((viaDashboardApi.json as { error: string }).error).toContain('token "echoer"\'s --allow-command rules');
    const list = await runCli(['token', 'list'], env);
    expect(list.stdout.toString()).toMatch(/echoer +submit .* command rules/);
  });

  it("a worker's --deny-command fails the attempt before anything starts", async () => {
    const { job } = await cluster.client.submit({ command: 'echo forbidden-here > /dev/null; echo started' });
    const done = await cluster.client.waitForJob(job.id);
    expect(done.state).toBe('FAILED');
    expect(done.reason).toBe('EXECUTOR_ERROR');
    expect(done.error).toBe('refused by this worker\'s --deny-command "forbidden-here"');
    const full = await cluster.client.getJob(job.id, { output: true });
    expect(Buffer.from(full.stdout ?? []).toString()).toBe('');
  });

  it('a rule that is not a regular expression stops the master with one line naming the flag', async () => {
    const master = startProgram('master', ['--store', 'memory', '--port', '0', '--deny-command', 'rm (']);
    const exit = await master.exited;
    expect(exit.code).toBe(2);
    const lines = master.logs.map((l) => l.msg);
    expect(lines).toEqual([
      expect.stringMatching(/^dist-exec-master: --deny-command: "rm \(" is not a regular expression/),
    ]);
  });
});

describe('quotas', () => {
  it('over --max-pending a submit is refused; over --max-running a job waits, says why, then runs', async () => {
    const { secret } = await cluster.client.createToken({
      name: 'quota',
      role: 'submit',
      limits: { maxPending: 2, maxRunning: 1, rateLimit: null, allowCommands: [], denyCommands: [] },
    });
    const client = new DistExecClient({ address: cluster.address, token: secret });
    try {
      const first = (await client.submit({ command: 'sleep 60' })).job;
      await until(async () => (await client.getJob(first.id)).state === 'RUNNING', { message: 'the first job to run' });
      const second = (await client.submit({ command: 'sleep 60' })).job;
      const third = (await client.submit({ command: 'echo third' })).job;
      // Two pending is the quota: a fourth is refused, and nothing of it is kept.
      const over = client.submit({ command: 'echo fourth' });
      await expect(over).rejects.toThrow(ResourceExhaustedError);
      await expect(over).rejects.toThrow(
        'token "quota" has 2 jobs pending and may have at most 2 (its --max-pending); this job would pass it',
      );

      // The second waits on the token's quota while the worker has room: status says so.
      const status = await runCli(['status', second.id], env);
      expect(status.stdout.toString()).toContain(
        'Waiting:      waiting for token "quota" to have fewer than 1 jobs running (its --max-running); it has 1',
      );
      // Another token's job is not held up behind it.
      const other = await runCli(['run', 'echo not held up'], env);
      expect(other.stdout.toString()).toBe('not held up\n');
      expect((await client.getJob(second.id)).state).toBe('PENDING');

      // When the running one ends, the next one runs.
      await client.cancel(first.id);
      await until(async () => (await client.getJob(second.id)).state === 'RUNNING', {
        message: 'the second job to run once the first ended',
      });
      expect((await client.getJob(third.id)).state).toBe('PENDING');
      await client.cancel(second.id);
      expect((await client.waitForJob(third.id)).state).toBe('COMPLETED');
    } finally {
      client.close();
    }
  });
});

describe('rate limits', () => {
  it('a token over its --rate-limit is answered RESOURCE_EXHAUSTED or 429 with when to retry; others go on', async () => {
    const made = await runCli(
      ['token', 'create', '--name', 'slow', '--role', 'read', '--rate-limit', '3/m', '--rate-burst', '0'],
      env,
    );
    expect(made.code).toBe(0);
    const secret = made.stdout.toString().trim();
    const client = new DistExecClient({ address: cluster.address, token: secret });
    try {
      for (let i = 0; i < 3; i += 1) await client.listJobs();
      const over: unknown = await client.listJobs().then(
        () => null,
        (error: unknown) => error,
      );
      expect(over).toBeInstanceOf(ResourceExhaustedError);
      const message =
        /^token "slow" is over its rate limit of 3\/m; retry in \d+\.\ds, or ask an admin for a higher --rate-limit$/;
      expect((over as Error).message).toMatch(message);
      // gRPC's retry pushback trailer says how long, in milliseconds.
      const pushback = Number(
        (over as Error & { cause: ServiceError }).cause.metadata.get('grpc-retry-pushback-ms')[0],
      );
      expect(pushback).toBeGreaterThan(0);
      expect(pushback).toBeLessThanOrEqual(60_000);

      const http = await httpRequest(`http://127.0.0.1:${cluster.master.httpPort}/api/v1/jobs`, { token: secret });
      expect(http.status).toBe(429);
      const retryAfter = Number(http.headers['retry-after']);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(http.json).toEqual({ error: { code: 'RESOURCE_EXHAUSTED', message: expect.stringMatching(message) } });

      const cli = await runCli(['list'], { DIST_EXEC_MASTER: cluster.address, DIST_EXEC_TOKEN: secret });
      expect(cli.code).toBe(1);
      expect(cli.stderr).toMatch(/^dist-exec: token "slow" is over its rate limit of 3\/m; retry in/);
      // Another token is not held to it.
      expect((await cluster.client.listJobs()).jobs.length).toBeGreaterThan(0);
    } finally {
      client.close();
    }
  });
});

describe('http task targets', () => {
  it("reach what the worker's --http-allow lets in, never the master, loopback or the metadata address", async () => {
    const http = (url: string) => ({
      type: 'http',
      http: { url, method: 'GET', headers: {}, body: new Uint8Array(), expectedStatus: [] },
    });
    const ok = (await cluster.client.submit(http(`http://127.0.0.1:${servicePort}/`))).job;
    const done = await cluster.client.waitForJob(ok.id);
    expect(done.state).toBe('COMPLETED');
    const full = await cluster.client.getJob(ok.id, { output: true });
    expect(Buffer.from(full.stdout ?? []).toString()).toBe('from the allowed service');

    const refused = {
      [`http://127.0.0.1:${cluster.master.httpPort}/metrics`]: 'loopback',
      [`http://localhost:${cluster.master.httpPort}/metrics`]: 'loopback',
      'http://169.254.169.254/latest/meta-data/': 'link-local (cloud metadata)',
    };
    for (const [url, what] of Object.entries(refused)) {
      const { job } = await cluster.client.submit(http(url));
      const failed = await cluster.client.waitForJob(job.id);
      expect(failed).toMatchObject({ state: 'FAILED', reason: 'EXECUTOR_ERROR' });
      expect(failed.error).toMatch(
        new RegExp(`^http target .*:\\d+ refused: ${what.replace(/[()]/g, '\\$&')} addresses`),
      );
    }
  });
});
