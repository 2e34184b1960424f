import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DistExecClient, type JobView } from '@dist-exec/client';
import {
  freePort,
  runCli,
  startMasterProcess,
  startWorkerProcess,
  until,
  type RunningProgram,
} from '@dist-exec/testing';

/**
 * Frequent heartbeats, so workers find a restarted master quickly, but a long
 * heartbeat timeout: on a loaded machine a slow heartbeat must not make a node
 * UNHEALTHY and its jobs rescheduled, which these tests are not about.
 * Recovery waits for the default 60s node-lost timeout.
 */
const FAST = ['--heartbeat-interval', '200ms', '--heartbeat-timeout', '30s', '--node-lost-timeout', '60s'];
const LONG = { timeoutMs: 120_000 };

const started: RunningProgram[] = [];
const clients: DistExecClient[] = [];
const dirs: string[] = [];

afterEach(async (context) => {
  if (context.task.result?.state === 'fail') {
    // What the processes said about jobs and nodes, to tell why.
    for (const program of started) {
      for (const entry of program.logs)
        if (!entry.level || Number(entry.level) >= (process.env.DIST_EXEC_TEST_DUMP ? 0 : 40))
          console.log(JSON.stringify(entry));
    }
  }
  for (const client of clients.splice(0)) client.close();
  for (const program of started.splice(0).reverse()) {
    program.kill('SIGKILL');
    await program.exited;
  }
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dist-exec-durable-'));
  dirs.push(dir);
  return dir;
}

/** The data dir of the master on each port: its token files are there, and stay across its restarts. */
const dataDirs = new Map<number, string>();

/** A master on a fixed port and data dir, so it can be killed and started again in the same place. */
async function master(port: number, dataDir: string): Promise<RunningProgram> {
  dataDirs.set(port, dataDir);
  const program = await startMasterProcess([
    ...FAST,
    '--store',
    'sqlite',
    '--data-dir',
    dataDir,
    '--port',
    String(port),
  ]);
  started.push(program);
  return program;
}

async function worker(port: number, id: string, args: string[] = []): Promise<RunningProgram> {
  const program = await startWorkerProcess(`127.0.0.1:${port}`, ['--id', id, '--kill-grace', '1s', ...args], {
    DIST_EXEC_TOKEN_FILE: join(dataDirs.get(port) as string, 'worker.token'),
  });
  started.push(program);
  return program;
}

async function kill9(program: RunningProgram): Promise<void> {
  program.kill('SIGKILL');
  await program.exited;
}

function adminTokenFile(port: number): string {
  return join(dataDirs.get(port) as string, 'admin.token');
}

function client(port: number): DistExecClient {
  const c = new DistExecClient({
    address: `127.0.0.1:${port}`,
    token: readFileSync(adminTokenFile(port), 'utf8').trim(),
  });
  clients.push(c);
  return c;
}

function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

function text(view: JobView): string {
  return Buffer.from(view.stdout ?? []).toString();
}

/** A job that prints `before`, waits for `gate` to exist, prints `after`, then records that it ran. */
function gated(gate: string, ran: string): string {
  return `echo before; while [ ! -e ${gate} ]; do sleep 0.05; done; echo after; echo "$DIST_EXEC_JOB_ID" >> ${ran}`;
}

describe('durable state with real processes', () => {
  it(
    'kill -9 of the master while 500 jobs run: after a restart on the same data dir every job ends, each command ran exactly once',
    { timeout: 300_000 },
    async () => {
      const dir = tempDir();
      const ran = join(dir, 'ran.log');
      const port = await freePort();
      const first = await master(port, join(dir, 'data'));
      await Promise.all(['w1', 'w2', 'w3'].map((id) => worker(port, id, ['--max-tasks', '8'])));
      const c = client(port);
      const ids: string[] = [];
      for (let batch = 0; batch < 5; batch += 1) {
        const jobs = await c.submitMany(
          Array.from({ length: 100 }, () => ({ command: `echo "$DIST_EXEC_JOB_ID" >> ${ran}; sleep 0.05` })),
        );
        ids.push(...jobs.map((j) => j.id));
      }
      await until(() => lines(ran).length >= 100, { ...LONG, message: '100 jobs to run' });
      await kill9(first);
      const ranBeforeRestart = lines(ran).length;
      await master(port, join(dir, 'data'));

      await until(
        async () =>
          (await c.listJobs({ states: ['COMPLETED', 'FAILED', 'CANCELLED'], pageSize: 1 })).totalCount === 500,
        {
          ...LONG,
          message: 'all 500 jobs to end',
        },
      );
      const all = await c.listJobs({ pageSize: 1000 });
      expect(all.totalCount).toBe(500);
      expect(all.jobs.every((j) => j.state === 'COMPLETED')).toBe(true);
      const runs = lines(ran);
      const counts = new Map<string, number>();
      for (const id of runs) counts.set(id, (counts.get(id) ?? 0) + 1);
      expect([...counts.keys()].sort()).toEqual([...ids].sort());
      expect([...counts.values()].filter((n) => n !== 1)).toEqual([]);
      console.log(
        `[measure] master killed after ${ranBeforeRestart}/500 jobs ran; all 500 completed after the restart, each exactly once`,
      );
    },
  );

  it(
    'a worker restarted mid-job, then the master killed mid-job: no finished result is lost, output resumes without repeats',
    { timeout: 180_000 },
    async () => {
      const dir = tempDir();
      const ran = join(dir, 'ran.log');
      const port = await freePort();
      let m = await master(port, join(dir, 'data'));
      let w = await worker(port, 'steady');
      const c = client(port);

      // The worker is restarted (SIGTERM) while a job runs: the job finishes and its result is handed over first.
      const { job: first } = await c.submit({ command: gated(join(dir, 'gate-1'), ran) });
      await until(async () => text(await c.getJob(first.id, { output: true })) === 'before\n', {
        ...LONG,
        message: 'the first job to start',
      });
      w.kill('SIGTERM');
      writeFileSync(join(dir, 'gate-1'), '');
      expect(await w.exited).toEqual({ code: 0, signal: null });
      expect(await c.getJob(first.id)).toMatchObject({ state: 'COMPLETED', attempts: 1 });
      w = await worker(port, 'steady');

      // Then the master is killed while two jobs run: one finishes while it is down, one after it is back.
      const { job: whileDown } = await c.submit({ command: gated(join(dir, 'gate-2'), ran) });
      const { job: across } = await c.submit({ command: gated(join(dir, 'gate-3'), ran) });
      await until(
        async () =>
          (await Promise.all([whileDown, across].map(async (j) => text(await c.getJob(j.id, { output: true }))))).every(
            (t) => t === 'before\n',
          ),
        {
          ...LONG,
          message: 'both jobs to start',
        },
      );
      await kill9(m);
      writeFileSync(join(dir, 'gate-2'), '');
      await until(() => lines(ran).includes(whileDown.id), {
        ...LONG,
        message: 'the job to finish while the master is down',
      });
      m = await master(port, join(dir, 'data'));

      expect(await c.waitForJob(whileDown.id)).toMatchObject({ state: 'COMPLETED', attempts: 1, workerId: 'steady' });
      expect(text(await c.getJob(whileDown.id, { output: true }))).toBe('before\nafter\n');
      writeFileSync(join(dir, 'gate-3'), '');
      expect(await c.waitForJob(across.id)).toMatchObject({ state: 'COMPLETED', attempts: 1 });
      expect(text(await c.getJob(across.id, { output: true }))).toBe('before\nafter\n');
      // Output from before the restart is still there, and readable from an offset.
      const logs = await runCli(['logs', first.id, '--from-offset', '3'], {
        DIST_EXEC_MASTER: `127.0.0.1:${port}`,
        DIST_EXEC_TOKEN_FILE: adminTokenFile(port),
      });
      expect(logs.code).toBe(0);
      expect(logs.stdout.toString()).toBe('ore\nafter\n');
      expect(lines(ran).sort()).toEqual([first.id, whileDown.id, across.id].sort());
    },
  );

  it(
    'the master killed mid-job, then the worker stopped while it is away: the worker waits and hands its result over',
    { timeout: 180_000 },
    async () => {
      const dir = tempDir();
      const ran = join(dir, 'ran.log');
      const port = await freePort();
      const m = await master(port, join(dir, 'data'));
      const w = await worker(port, 'patient');
      const c = client(port);
      const { job } = await c.submit({ command: gated(join(dir, 'gate'), ran) });
      await until(async () => text(await c.getJob(job.id, { output: true })) === 'before\n', {
        ...LONG,
        message: 'the job to start',
      });

      await kill9(m);
      writeFileSync(join(dir, 'gate'), '');
      await until(() => lines(ran).length === 1, { ...LONG, message: 'the job to finish while the master is down' });
      w.kill('SIGTERM');
      await w.waitForLog('waiting for the master to take finished results', 60_000);
      await master(port, join(dir, 'data'));
      expect(await w.exited).toEqual({ code: 0, signal: null });

      const done = await c.getJob(job.id, { output: true });
      expect(done).toMatchObject({ state: 'COMPLETED', attempts: 1, exitCode: 0, workerId: 'patient' });
      expect(text(done)).toBe('before\nafter\n');
      // The cluster goes on with a fresh worker.
      await worker(port, 'patient');
      const { job: next } = await c.submit({ command: 'echo next' });
      expect(await c.waitForJob(next.id)).toMatchObject({ state: 'COMPLETED' });
      expect(lines(ran)).toEqual([job.id]);
    },
  );

  it(
    'dist-exec run attached across a master restart: prints the output once and exits with the job exit code',
    { timeout: 180_000 },
    async () => {
      const dir = tempDir();
      const ran = join(dir, 'ran.log');
      const port = await freePort();
      let m = await master(port, join(dir, 'data'));
      await worker(port, 'steady');
      const c = client(port);
      const run = runCli(['run', `${gated(join(dir, 'gate'), ran)}; exit 3`], {
        DIST_EXEC_MASTER: `127.0.0.1:${port}`,
        DIST_EXEC_TOKEN_FILE: adminTokenFile(port),
      });
      const job = await until(async () => (await c.listJobs()).jobs.find((j) => j.state === 'RUNNING'), {
        ...LONG,
        message: 'the job to start',
      });
      await until(async () => text(await c.getJob(job.id, { output: true })) === 'before\n', {
        ...LONG,
        message: 'the first line of output',
      });

      // The run's RunJob stream breaks with the master; it resumes on WatchJob from the last byte it printed.
      await kill9(m);
      m = await master(port, join(dir, 'data'));
      writeFileSync(join(dir, 'gate'), '');
      const result = await run;
      expect(result.stdout.toString()).toBe('before\nafter\n');
      expect(result.code).toBe(3);
      expect(lines(ran)).toEqual([job.id]);
    },
  );
});
