import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DistExecClient } from '@dist-exec/client';
import {
  freePort,
  httpRequest,
  postgresAvailable,
  servingStatus,
  startMasterProcess,
  startProgram,
  startTestPostgres,
  startWorkerProcess,
  until,
  type MasterProcess,
  type RunningProgram,
  type TestPostgres,
} from '@dist-exec/testing';

/**
 * A real master on `--store postgres`, with real workers, against a
 * throwaway PostgreSQL server: the SQLite durability promises hold on it too.
 */

/** As in durability.test.ts: workers find a restarted master fast; a slow machine does not make them UNHEALTHY. */
const FAST = ['--heartbeat-interval', '200ms', '--heartbeat-timeout', '30s', '--node-lost-timeout', '60s'];
const LONG = { timeoutMs: 120_000 };
/** A master restarted after kill -9 waits for its old lease to expire: keep that short. */
const SHORT_LEASE = ['--lease-ttl', '2s', '--lease-renew', '300ms'];
/** The master keeps its lease (and its heartbeats answered) through a few seconds without the database. */
const LONG_LEASE = ['--lease-ttl', '60s', '--lease-renew', '2s'];

const withPostgres = postgresAvailable();
let server: TestPostgres;
const started: RunningProgram[] = [];
const clients: DistExecClient[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  if (withPostgres) server = await startTestPostgres();
});

afterAll(async () => {
  await server?.destroy();
});

afterEach(async (context) => {
  if (context.task.result?.state === 'fail') {
    for (const program of started)
      for (const entry of program.logs)
        if (!entry.level || Number(entry.level) >= 40) console.log(JSON.stringify(entry));
  }
  for (const client of clients.splice(0)) client.close();
  for (const program of started.splice(0).reverse()) {
    program.kill('SIGKILL');
    await program.exited;
  }
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dist-exec-pg-e2e-'));
  dirs.push(dir);
  return dir;
}

/**
 * A master on a fixed port, database and data dir (where its token files are), so that it can be killed and
 * started again in the same place.
 */
async function master(port: number, url: string, dataDir: string, lease = SHORT_LEASE): Promise<MasterProcess> {
  const program = await startMasterProcess(
    [...FAST, ...lease, '--store', 'postgres', '--port', String(port), '--data-dir', dataDir],
    { DIST_EXEC_DATABASE_URL: url },
  );
  started.push(program);
  return program;
}

async function worker(m: MasterProcess, id: string): Promise<RunningProgram> {
  const program = await startWorkerProcess(m, ['--id', id, '--max-tasks', '8', '--kill-grace', '1s']);
  started.push(program);
  return program;
}

function client(m: MasterProcess): DistExecClient {
  const c = new DistExecClient({ address: m.address, token: m.token, retry: { retries: 0 } });
  clients.push(c);
  return c;
}

function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

function countsOf(ids: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
  return counts;
}

describe.skipIf(!withPostgres)('a master on PostgreSQL', () => {
  it(
    'kill -9 of the master while 500 jobs run: restarted on the same database, every job ends, each command ran once',
    { timeout: 300_000 },
    async () => {
      const url = await server.createDatabase();
      const ran = join(tempDir(), 'ran.log');
      const port = await freePort();
      const data = join(tempDir(), 'data');
      const first = await master(port, url, data);
      await Promise.all(['w1', 'w2', 'w3'].map((id) => worker(first, id)));
      const c = client(first);
      const ids: string[] = [];
      for (let batch = 0; batch < 5; batch += 1) {
        const jobs = await c.submitMany(
          Array.from({ length: 100 }, () => ({ command: `echo "$DIST_EXEC_JOB_ID" >> ${ran}; sleep 0.05` })),
        );
        ids.push(...jobs.map((j) => j.id));
      }
      await until(() => lines(ran).length >= 100, { ...LONG, message: '100 jobs to run' });
      first.kill('SIGKILL');
      await first.exited;
      const ranBeforeRestart = lines(ran).length;
      await master(port, url, data);

      await until(
        async () =>
          (await c.listJobs({ states: ['COMPLETED', 'FAILED', 'CANCELLED'], pageSize: 1 })).totalCount === 500,
        { ...LONG, message: 'all 500 jobs to end' },
      );
      const all = await c.listJobs({ pageSize: 1000 });
      expect(all.totalCount).toBe(500);
      expect(all.jobs.every((j) => j.state === 'COMPLETED')).toBe(true);
      const counts = countsOf(lines(ran));
      expect([...counts.keys()].sort()).toEqual([...ids].sort());
      expect([...counts.values()].filter((n) => n !== 1)).toEqual([]);
      console.log(
        `[measure] postgres: master killed after ${ranBeforeRestart}/500 jobs ran; all 500 completed after the restart, each exactly once`,
      );
    },
  );

  it(
    'the database stopped under running jobs: NOT_SERVING and submits UNAVAILABLE with the cause (password masked); back by itself, every job ends, each once',
    { timeout: 180_000 },
    async () => {
      // Trust authentication ignores the password: it is there to be masked wherever the cause is shown.
      const url = (await server.createDatabase()).replace('postgres://postgres@', 'postgres://postgres:s3cret@');
      const dir = tempDir();
      const ran = join(dir, 'ran.log');
      const gate = join(dir, 'gate');
      const port = await freePort();
      const m = await master(port, url, join(dir, 'data'), LONG_LEASE);
      await worker(m, 'steady');
      const c = client(m);
      // 20 jobs that wait for the gate: 8 run (the worker's slots), 12 wait, while the database is away.
      const before = await c.submitMany(
        Array.from({ length: 20 }, () => ({
          command: `while [ ! -e ${gate} ]; do sleep 0.05; done; echo "$DIST_EXEC_JOB_ID" >> ${ran}`,
        })),
      );
      await until(async () => (await c.listJobs({ states: ['RUNNING'], pageSize: 1 })).totalCount === 8, {
        ...LONG,
        message: '8 jobs to run',
      });

      await server.stop();
      try {
        // The refusal names the store, quoting the database's own error (which may be a refused or reset
        // connection: the client must not read that as its own connection to the master failing).
        const refused = (await c.submit({ command: 'echo refused' }).then(
          () => null,
          (error: unknown) => error,
        )) as (Error & { code?: string }) | null;
        if (!refused) throw new Error('a submit was accepted while the database was stopped');
        expect(refused.code).toBe('UNAVAILABLE');
        expect(refused.message).toMatch(
          /cannot store jobs: the database at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/test_\w+ is unavailable/,
        );
        const ready = await httpRequest(`http://127.0.0.1:${m.httpPort}/readyz`);
        expect(ready.status).toBe(503);
        expect(ready.text).toMatch(/postgres:\/\/postgres:\*\*\*@.* is unavailable/);
        expect(ready.text).not.toContain('s3cret');
        // A load balancer asking gRPC health hears it too.
        expect(await servingStatus(m.address)).toBe('NOT_SERVING');
        // The running jobs finish while the database is away: their results wait in the master and the worker.
        writeFileSync(gate, '');
        await until(() => lines(ran).length >= 8, { ...LONG, message: 'the running jobs to finish' });
        // The worker's heartbeats carry those results, waiting to be acknowledged: they are still answered
        // (a node whose heartbeats stall looks silent, and would have its jobs rescheduled). Watched for 4 s.
        let longestSilenceMs = 0;
        for (const end = Date.now() + 4000; Date.now() < end;) {
          const [node] = await c.listNodes();
          longestSilenceMs = Math.max(longestSilenceMs, Date.now() - (node?.lastHeartbeatMs ?? 0));
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        expect(longestSilenceMs).toBeLessThan(2500);
      } finally {
        await server.start();
      }

      await until(async () => (await httpRequest(`http://127.0.0.1:${m.httpPort}/readyz`)).status === 200, {
        ...LONG,
        message: 'the master to be ready again',
      });
      expect(await servingStatus(m.address)).toBe('SERVING');
      const { job: after } = await c.submit({ command: `echo "$DIST_EXEC_JOB_ID" >> ${ran}` });
      const expected = [...before.map((j) => j.id), after.id];
      await until(() => lines(ran).length >= expected.length, { ...LONG, message: 'every job to run' });
      // One attempt each: nothing was placed again while the database was away.
      for (const id of expected) expect(await c.waitForJob(id)).toMatchObject({ state: 'COMPLETED', attempts: 1 });
      const counts = countsOf(lines(ran));
      expect([...counts.keys()].sort()).toEqual([...expected].sort());
      expect([...counts.values()].filter((n) => n !== 1)).toEqual([]);
      expect((await c.listJobs({ pageSize: 100 })).totalCount).toBe(expected.length);
      expect(JSON.stringify(m.logs)).not.toContain('s3cret');
    },
  );

  it('a database it cannot reach at start: one line naming the URL, the password masked, and a non-zero exit', async () => {
    const port = await freePort();
    const program = startProgram(
      'master',
      ['--host', '127.0.0.1', '--port', '0', '--http-port', '0', '--store', 'postgres', '--data-dir', tempDir()],
      { DIST_EXEC_DATABASE_URL: `postgres://dist:s3cret@127.0.0.1:${port}/jobs` },
    );
    started.push(program);
    const { code } = await program.exited;
    expect(code).not.toBe(0);
    const said = program.logs.map((entry) => String(entry.msg ?? JSON.stringify(entry)));
    const line = said.find((text) => text.startsWith('dist-exec-master: could not start:'));
    expect(line).toMatch(
      new RegExp(
        `^dist-exec-master: could not start: postgres://dist:\\*\\*\\*@127\\.0\\.0\\.1:${port}/jobs: cannot connect`,
      ),
    );
    expect(said.join('\n')).not.toContain('s3cret');
  });
});
