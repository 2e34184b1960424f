import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobJson, NodeJson } from '@dist-exec/core';
import {
  httpRequest,
  postJson,
  runCli,
  startTestCluster,
  toolsRequired,
  until,
  type TestCluster,
} from '@dist-exec/testing';

interface ErrorJson {
  error: { code: string; message: string };
}

let cluster: TestCluster;
let base: string;
let scratch: string;

beforeAll(async () => {
  cluster = await startTestCluster({ workers: 1 });
  base = `http://127.0.0.1:${cluster.master.httpPort}`;
  scratch = mkdtempSync(join(tmpdir(), 'dist-exec-http-'));
});
afterAll(async () => {
  await cluster?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

/** The admin token on every request of these tests; the doors themselves are tested in auth.test.ts. */
const auth = (): { token: string } => ({ token: cluster.adminToken });
const post = (url: string, body: unknown) => postJson(url, body, cluster.adminToken);
const bearer = (): Record<string, string> => ({ authorization: `Bearer ${cluster.adminToken}` });

async function submit(spec: unknown): Promise<JobJson> {
  const res = await post(`${base}/api/v1/jobs`, spec);
  expect(res.status, res.text).toBe(201);
  return res.json as JobJson;
}

async function finished(id: string): Promise<JobJson> {
  return until(
    async () => {
      const job = (await httpRequest(`${base}/api/v1/jobs/${id}`, auth())).json as JobJson;
      return ['COMPLETED', 'FAILED', 'CANCELLED'].includes(job.state) ? job : null;
    },
    { message: `job ${id} to finish` },
  );
}

/** Reads a streaming response, calling `onText` with everything received so far. */
function stream(
  url: string,
  headers: Record<string, string>,
  onText: (text: string) => void,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (part: string) => {
        text += part;
        onText(text);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the /api/v1 JSON API', () => {
  it('submits, reads and lists jobs with the same JSON as the CLI --json', async () => {
    const job = await submit({ command: 'echo from-http; echo oops >&2', labels: { team: 'web' }, timeout: '30s' });
    expect(job.state).toBe('PENDING');
    expect(job.timeoutMs).toBe(30_000);
    const done = await finished(job.id);
    expect(done).toMatchObject({
      state: 'COMPLETED',
      exitCode: 0,
      stdout: 'from-http\n',
      stderr: 'oops\n',
      labels: { team: 'web' },
    });

    const cli = await runCli(['--master', cluster.address, '--token', cluster.adminToken, 'status', job.id, '--json']);
    expect(cli.code).toBe(0);
    expect(JSON.parse(cli.stdout.toString())).toEqual(done);

    const listed = (await httpRequest(`${base}/api/v1/jobs?limit=1`, auth())).json as {
      jobs: JobJson[];
      totalCount: number;
    };
    const cliList = await runCli([
      '--master',
      cluster.address,
      '--token',
      cluster.adminToken,
      'list',
      '--limit',
      '1',
      '--json',
    ]);
    expect(listed.jobs).toEqual(JSON.parse(cliList.stdout.toString()));
    expect(listed.jobs[0]?.id).toBe(job.id);
  });

  it('lists nodes as `nodes --json` does', async () => {
    const nodes = (await httpRequest(`${base}/api/v1/nodes`, auth())).json as NodeJson[];
    const cli = JSON.parse(
      (await runCli(['--master', cluster.address, '--token', cluster.adminToken, 'nodes', '--json'])).stdout.toString(),
    ) as NodeJson[];
    const withoutBeat = (list: NodeJson[]) => list.map(({ lastHeartbeat: _beat, ...rest }) => rest);
    expect(nodes.map((n) => n.id)).toEqual(['worker-1']);
    expect(withoutBeat(nodes)).toEqual(withoutBeat(cli));
  });

  it('pages through jobs and filters by state', async () => {
    const jobs = (await post(`${base}/api/v1/jobs`, [{ command: 'true' }, { command: 'exit 4' }, { command: 'true' }]))
      .json as JobJson[];
    expect(jobs).toHaveLength(3);
    for (const job of jobs) await finished(job.id);
    const failed = (await httpRequest(`${base}/api/v1/jobs?state=failed`, auth())).json as { jobs: JobJson[] };
    expect(failed.jobs.map((j) => j.id)).toEqual([jobs[1]?.id]);
    const seen: string[] = [];
    let token: string | null = '';
    while (token !== null) {
      const page = (
        await httpRequest(`${base}/api/v1/jobs?limit=2&state=COMPLETED${token ? `&pageToken=${token}` : ''}`, auth())
      ).json as {
        jobs: JobJson[];
        nextPageToken: string | null;
        totalCount: number;
      };
      expect(page.jobs.length).toBeLessThanOrEqual(2);
      seen.push(...page.jobs.map((j) => j.id));
      token = page.nextPageToken;
    }
    expect(seen).toContain(jobs[0]?.id);
    expect(seen).toContain(jobs[2]?.id);
    expect(new Set(seen).size).toBe(seen.length);
    // A short id: the end of one job's id finds that job alone; a start they share, all three (with a state, one).
    const end = (await httpRequest(`${base}/api/v1/jobs?id=${jobs[1]!.id.slice(-8)}`, auth())).json as {
      jobs: JobJson[];
    };
    expect(end.jobs.map((j) => j.id)).toEqual([jobs[1]?.id]);
    const start = jobs[0]!.id.slice(0, 8);
    const shared = (await httpRequest(`${base}/api/v1/jobs?id=${start}&state=failed`, auth())).json as {
      jobs: JobJson[];
    };
    expect(shared.jobs.map((j) => j.id)).toEqual([jobs[1]?.id]);
    const bad = await httpRequest(`${base}/api/v1/jobs?id=xyz`, auth());
    expect(bad.status).toBe(400);
    expect((bad.json as ErrorJson).error.message).toMatch(/^id: "xyz" is not a job id or a piece of one/);
  });

  it('cancels a running job, and says why it cannot cancel a finished one', async () => {
    const job = await submit({ command: 'sleep 60' });
    await until(
      async () => ((await httpRequest(`${base}/api/v1/jobs/${job.id}`, auth())).json as JobJson).state === 'RUNNING',
      { message: 'the job to run' },
    );
    const cancelled = await httpRequest(`${base}/api/v1/jobs/${job.id}/cancel`, { ...auth(), method: 'POST' });
    expect(cancelled.status).toBe(200);
    expect((cancelled.json as JobJson).state).toBe('CANCELLED');
    const done = await submit({ command: 'true' });
    await finished(done.id);
    const refused = await httpRequest(`${base}/api/v1/jobs/${done.id}/cancel`, { ...auth(), method: 'POST' });
    expect(refused.status).toBe(409);
    expect((refused.json as ErrorJson).error.code).toBe('FAILED_PRECONDITION');
  });

  it('returns the earlier job for a repeated idempotency key', async () => {
    const first = await post(`${base}/api/v1/jobs`, { command: 'true', idempotencyKey: 'http-once' });
    const second = await post(`${base}/api/v1/jobs`, { command: 'true', idempotencyKey: 'http-once' });
    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect((second.json as JobJson).id).toBe((first.json as JobJson).id);
  });

  it('follows logs live as plain bytes, and resumes from an offset', async () => {
    const marker = join(scratch, 'go-on');
    const job = await submit({ command: `echo first; while [ ! -f ${marker} ]; do sleep 0.05; done; echo second >&2` });
    let released = false;
    const result = await stream(`${base}/api/v1/jobs/${job.id}/logs?follow=true`, bearer(), (text) => {
      // The first line arrives while the job still runs: only then may it finish.
      if (!released && text.includes('first\n')) {
        released = true;
        writeFileSync(marker, '');
      }
    });
    expect(result.status).toBe(200);
    expect(result.text).toBe('first\nsecond\n');
    const resumed = await httpRequest(`${base}/api/v1/jobs/${job.id}/logs?offset=6`, auth());
    expect(resumed.text).toBe('second\n');
    expect(resumed.headers['x-output-offset']).toBe('6');
    expect((await httpRequest(`${base}/api/v1/jobs/${job.id}/logs?stream=stdout`, auth())).text).toBe('first\n');
  });

  it('streams logs as server-sent events for EventSource clients', async () => {
    const job = await submit({ command: 'printf "h\\303\\251llo\\n"; exit 2' });
    const result = await stream(
      `${base}/api/v1/jobs/${job.id}/logs?follow=true`,
      { ...bearer(), accept: 'text/event-stream' },
      () => {},
    );
    expect(result.status).toBe(200);
    const events = result.text
      .split('\n\n')
      .map((block) => ({ event: /^event: (.*)$/m.exec(block)?.[1], data: /^data: (.*)$/m.exec(block)?.[1] }))
      .filter((e) => e.event);
    const output = events
      .filter((e) => e.event === 'output')
      .map((e) => (JSON.parse(e.data ?? '{}') as { text: string }).text);
    expect(output.join('')).toBe('héllo\n');
    const last = events.filter((e) => e.event === 'job').at(-1);
    expect(JSON.parse(last?.data ?? '{}')).toMatchObject({ state: 'FAILED', exitCode: 2, reason: 'EXIT_CODE' });
    expect(events.at(-1)?.event).toBe('end');
  });
});

describe("seed 004's dashboard API (nomad-lite's shapes)", () => {
  it('POST /api/jobs answers {success, job_id, error}; GET /api/jobs lists it as run; GET /api/cluster says who leads', async () => {
    const accepted = await post(`${base}/api/jobs`, { command: 'echo from-004' });
    expect(accepted.status).toBe(200);
    const body = accepted.json as { success: boolean; job_id: string; error: null };
    expect(body).toMatchObject({ success: true, error: null });
    await finished(body.job_id);
    const listed = (await httpRequest(`${base}/api/jobs`, auth())).json as Record<string, unknown>[];
    expect(listed.find((job) => job.id === body.job_id)).toMatchObject({
      command: 'echo from-004',
      status: 'completed',
      executed_by: expect.any(String),
      output: 'from-004\n',
      error: null,
      created_at: expect.any(String),
      completed_at: expect.any(String),
    });
    const refused = await post(`${base}/api/jobs`, { cmd: 'true' });
    expect(refused.status).toBe(400);
    expect(refused.json).toEqual({ success: false, job_id: null, error: expect.stringMatching(/cmd/) });
    const status = (await httpRequest(`${base}/api/cluster`, auth())).json as Record<string, unknown>;
    // A master on its own leads, under no lease (epoch 0).
    expect(status).toMatchObject({ role: 'leader', current_term: 0, masters: [] });
    expect(status.node_id).toBe(status.leader_id);
  });
});

describe('bad input on the HTTP API', () => {
  const expectError = (
    res: { status: number; json: unknown; text: string },
    status: number,
    code: string,
    message: RegExp,
  ): void => {
    expect(res.status, res.text).toBe(status);
    const body = res.json as ErrorJson;
    expect(body.error.code).toBe(code);
    expect(body.error.message).toMatch(message);
    expect(res.text).not.toMatch(/at .*\.js:\d+/);
  };

  it('refuses malformed JSON, wrong content types, oversized bodies and bad specs with a JSON error', async () => {
    const url = `${base}/api/v1/jobs`;
    const json = { 'content-type': 'application/json' };
    expectError(
      await httpRequest(url, { ...auth(), method: 'POST', headers: json, body: '{"command": ' }),
      400,
      'INVALID_ARGUMENT',
      /not valid JSON/,
    );
    expectError(
      await httpRequest(url, { ...auth(), method: 'POST', headers: json, body: '' }),
      400,
      'INVALID_ARGUMENT',
      /empty/,
    );
    expectError(
      await httpRequest(url, {
        ...auth(),
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: '{"command":"true"}',
      }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      /application\/json/,
    );
    expectError(
      await httpRequest(url, { ...auth(), method: 'POST', body: '{"command":"true"}' }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      /Content-Type/,
    );
    const huge = JSON.stringify({ command: 'true', env: { BIG: 'x'.repeat(3 * 1024 * 1024) } });
    expectError(
      await httpRequest(url, { ...auth(), method: 'POST', headers: json, body: huge }),
      413,
      'PAYLOAD_TOO_LARGE',
      /larger than/,
    );
    expectError(await post(url, { comand: 'true' }), 400, 'INVALID_ARGUMENT', /spec\.comand: unknown field/);
    expectError(await post(url, { command: 5 }), 400, 'INVALID_ARGUMENT', /spec\.command: must be a string/);
    expectError(await post(url, { command: 'true', timeout: 'soon' }), 400, 'INVALID_ARGUMENT', /timeout/);
    expectError(await post(url, { command: '' }), 400, 'INVALID_ARGUMENT', /command is empty/);
    expectError(
      await post(url, [{ command: 'true' }, { argv: 'ls' }]),
      400,
      'INVALID_ARGUMENT',
      /\[1\]\.argv: must be an array/,
    );
    expectError(await post(url, 'echo hi'), 400, 'INVALID_ARGUMENT', /JSON object/);
  });

  it('answers unknown routes, methods, ids and queries with 4xx', async () => {
    expectError(await httpRequest(`${base}/api/v2/jobs`, auth()), 404, 'NOT_FOUND', /no such endpoint/);
    const wrongMethod = await httpRequest(`${base}/api/v1/jobs`, { ...auth(), method: 'DELETE' });
    expectError(wrongMethod, 405, 'METHOD_NOT_ALLOWED', /use GET, HEAD, POST/);
    expect(wrongMethod.headers.allow).toBe('GET, HEAD, POST');
    expectError(await httpRequest(`${base}/api/v1/jobs/not-a-job`, auth()), 400, 'INVALID_ARGUMENT', /not a job id/);
    expectError(
      await httpRequest(`${base}/api/v1/jobs/01a2074a-8b0a-7451-b8ad-3315c72bb98e`, auth()),
      404,
      'NOT_FOUND',
      /not found/,
    );
    expectError(
      await httpRequest(`${base}/api/v1/jobs/01a2074a-8b0a-7451-b8ad-3315c72bb98e/logs`, auth()),
      404,
      'NOT_FOUND',
      /not found/,
    );
    expectError(await httpRequest(`${base}/api/v1/jobs?limit=lots`, auth()), 400, 'INVALID_ARGUMENT', /limit/);
    expectError(await httpRequest(`${base}/api/v1/jobs?pageToken=xyz`, auth()), 400, 'INVALID_ARGUMENT', /pageToken/);
    expectError(await httpRequest(`${base}/api/v1/jobs/%E0%A4%A/logs`, auth()), 404, 'NOT_FOUND', /no such endpoint/);
    // Still serving after all of that.
    expect((await httpRequest(`${base}/healthz`, auth())).status).toBe(200);
  });

  it("serves the dashboard's search, node page, re-run and activity, with one-line errors for bad input", async () => {
    const job = await finished(
      (await submit({ command: 'echo search-me-please', labels: { team: 'search' }, env: { API_KEY: 'k-123' } })).id,
    );
    const search = async (query: string) =>
      (await httpRequest(`${base}/api/v1/search?${query}`, auth())).json as { jobs: JobJson[]; scanned: number };
    expect((await search('q=SEARCH-me')).jobs.map((j) => j.id)).toEqual([job.id]);
    expect((await search('label=team%3Dsearch&state=completed')).jobs.map((j) => j.id)).toEqual([job.id]);
    expect((await search(`q=${job.id.slice(-6)}`)).jobs.map((j) => j.id)).toContain(job.id);
    expect((await search('label=team%3Dsearch&state=failed')).jobs).toEqual([]);
    expect((await search(`node=${job.workerId}&q=search-me`)).jobs.map((j) => j.id)).toEqual([job.id]);
    const summary = (await httpRequest(`${base}/api/v1/search/summary?label=team%3Dsearch&range=n`, auth())).json;
    expect(summary).toMatchObject({ total: 1, counts: { COMPLETED: 1 }, range: null, truncated: false });
    const bad = async (query: string, message: RegExp) =>
      expectError(await httpRequest(`${base}/api/v1/search?${query}`, auth()), 400, 'INVALID_ARGUMENT', message);
    await bad('label=oops', /label: "oops" is not key=value/);
    await bad('state=soon', /state: "soon" is not a job state/);
    await bad('limit=0', /limit/);
    await bad('pageToken=abc', /pageToken: pass back the nextPageToken/);

    // This cluster's one worker runs everything: a failure there is on its page.
    const failing = await finished((await submit({ command: 'exit 9' })).id);
    expect(failing).toMatchObject({ state: 'FAILED', workerId: job.workerId });
    const node = (await httpRequest(`${base}/api/v1/nodes/${job.workerId}`, auth())).json as {
      node: NodeJson;
      running: JobJson[];
      recentFailures: JobJson[];
    };
    expect(node).toMatchObject({ node: { id: job.workerId }, running: [] });
    expect(node.recentFailures.map((j) => j.id)).toContain(failing.id);
    for (const failed of node.recentFailures) {
      expect(failed.state).toBe('FAILED');
      expect(failed.attemptHistory.some((a) => a.nodeId === job.workerId)).toBe(true);
    }
    expectError(await httpRequest(`${base}/api/v1/nodes/nope`, auth()), 404, 'NOT_FOUND', /node nope not found/);
    expectError(
      await httpRequest(`${base}/api/v1/nodes/nope/drain`, { ...auth(), method: 'POST' }),
      404,
      'NOT_FOUND',
      /node nope not found/,
    );

    const rerun = await httpRequest(`${base}/api/v1/jobs/${job.id}/rerun`, { ...auth(), method: 'POST' });
    expect(rerun.status, rerun.text).toBe(201);
    const again = await finished((rerun.json as JobJson).id);
    expect(again.id).not.toBe(job.id);
    expect(again).toMatchObject({ state: 'COMPLETED', command: 'echo search-me-please', labels: { team: 'search' } });
    // Env values go along to the new job, and still only to an admin who asks.
    expect((rerun.json as JobJson).env).toBeUndefined();
    const withEnv = (await httpRequest(`${base}/api/v1/jobs/${again.id}?env=true`, auth())).json as JobJson;
    expect(withEnv.env).toEqual({ API_KEY: 'k-123' });
    // Another submit token may not run the job (and its env values) again.
    const made = await runCli([
      ...['--master', cluster.address, '--token', cluster.adminToken],
      ...['token', 'create', '--role', 'submit', '--name', 'someone-else'],
    ]);
    expect(made.code, made.stderr.toString()).toBe(0);
    expectError(
      await httpRequest(`${base}/api/v1/jobs/${job.id}/rerun`, {
        token: made.stdout.toString().trim(),
        method: 'POST',
      }),
      403,
      'PERMISSION_DENIED',
      /submitted by token "admin": only that token or an admin token may run it again/,
    );
    expectError(
      await httpRequest(`${base}/api/v1/jobs/01a2074a-8b0a-7451-b8ad-3315c72bb98e/rerun`, {
        ...auth(),
        method: 'POST',
      }),
      404,
      'NOT_FOUND',
      /not found/,
    );

    const activity = (await httpRequest(`${base}/api/v1/activity`, auth())).json as {
      bucketMs: number;
      completed: number[];
    };
    expect(activity.bucketMs).toBe(1000);
    expect(activity.completed.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(2);
  });
});

const curlPath = ['/usr/bin/curl', '/bin/curl'].find((p) => existsSync(p));

/** Runs a command line from seed 003's README through a shell, as a user would paste it. */
function shell(line: string): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', line], { stdio: ['ignore', 'pipe', 'inherit'] });
    const out: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout: Buffer.concat(out).toString() }));
  });
}

describe.skipIf(!curlPath && !toolsRequired())("seed 003's curl calls", () => {
  // Verbatim from the seed's README, with its coordinator's localhost:8000 pointed at this master.
  const lines = {
    submit: `curl -X POST http://localhost:8000/jobs \\\n  -H "Content-Type: application/json" \\\n  -d '{"command": "echo hello world"}'`,
    submitWithTimeout: `curl -X POST http://localhost:8000/jobs -H "Content-Type: application/json" -d '{"command": "uname -a", "timeout": 30}'`,
    status: 'curl http://localhost:8000/jobs/{job_id}',
    metrics: 'curl http://localhost:8000/metrics',
    health: 'curl http://localhost:8000/health',
  };
  // With one addition: the token, which every door but /health asks for.
  const run = (line: string, jobId = '') =>
    shell(
      `${line.replaceAll('localhost:8000', `127.0.0.1:${cluster.master.httpPort}`).replace('{job_id}', jobId)} -s -H "Authorization: Bearer ${cluster.adminToken}"`,
    );

  it('submit a job, read its status and result, and scrape metrics and health', async () => {
    const submitted = await run(lines.submit);
    expect(submitted.code).toBe(0);
    const created = JSON.parse(submitted.stdout) as { job_id: string; status: string; created_at: string };
    expect(Object.keys(created).sort()).toEqual(['created_at', 'job_id', 'status']);
    expect(created.status).toBe('pending');
    expect(new Date(created.created_at).toISOString()).toBe(created.created_at);

    const status = await until(
      async () => {
        const body = JSON.parse((await run(lines.status, created.job_id)).stdout) as Record<string, unknown>;
        return body.status === 'completed' ? body : null;
      },
      { message: 'the job to complete' },
    );
    expect(status).toMatchObject({
      job_id: created.job_id,
      status: 'completed',
      exit_code: 0,
      stdout: 'hello world\n',
      stderr: '',
    });
    expect(typeof status.runtime_ms).toBe('number');

    const withTimeout = JSON.parse((await run(lines.submitWithTimeout)).stdout) as { job_id: string };
    const job = await finished(withTimeout.job_id);
    expect(job.timeoutMs).toBe(30_000);
    expect(job.stdout).toMatch(/Linux/);

    expect((await run(lines.metrics)).stdout).toMatch(/^dist_exec_jobs_submitted_total \d+$/m);
    expect(JSON.parse((await run(lines.health)).stdout)).toEqual({ status: 'healthy' });
  });

  it('reports failures and unknown jobs in its shapes', async () => {
    const created = (await post(`${base}/jobs`, { command: 'echo bad >&2; exit 7' })).json as { job_id: string };
    await finished(created.job_id);
    const failed = (await httpRequest(`${base}/jobs/${created.job_id}`, auth())).json;
    expect(failed).toMatchObject({ status: 'failed', exit_code: 7, stdout: '', stderr: 'bad\n' });
    expect((await httpRequest(`${base}/jobs/abc123`, auth())).status).toBe(404);
    expect((await post(`${base}/jobs`, { command: 'true', timeout: -1 })).status).toBe(400);
    expect((await post(`${base}/jobs`, { cmd: 'true' })).status).toBe(400);
  });
});
