import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DistExecClient, type JobSpecInput, type JobView } from '@dist-exec/client';
import {
  cgroupsUnavailable,
  httpRequest,
  metricValue,
  processesMatching,
  runCli,
  startMasterProcess,
  startWorkerProcess,
  toolsRequired,
  until,
  type MasterProcess,
  type RunningProgram,
} from '@dist-exec/testing';

const FAST = ['--heartbeat-interval', '200ms', '--heartbeat-timeout', '5s', '--retry-backoff-base', '100ms'];
const MiB = 1024 * 1024;
const unavailable = cgroupsUnavailable();
/** The out-of-memory test allocates with python3 (CI installs it). */
const hasPython = spawnSync('python3', ['-c', 'pass']).status === 0;
if (!hasPython && !toolsRequired()) console.log('[skip] the out-of-memory test: python3 is not installed');
if (unavailable && !toolsRequired()) console.log(`[skip] isolation tests with cgroups: ${unavailable}`);
const withCgroups = describe.skipIf(Boolean(unavailable) && !toolsRequired());

let sequence = 0;
/** A sleep whose command line nobody else has: `sleep 300.<unique>` (GNU sleep takes fractions). */
function uniqueSleep(): string {
  sequence += 1;
  return `sleep 300.${process.pid}${String(sequence).padStart(3, '0')}`;
}

/** The sleeps themselves, not the shells whose command lines mention them. */
function sleepsOf(sleep: string): Promise<number[]> {
  return processesMatching(`^${sleep}$`);
}

/** Whether a process is gone (a zombie nobody reaped counts as gone: it runs nothing). */
function gone(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1]?.startsWith('Z') ?? true;
  } catch {
    return true;
  }
}

/** SIGTERM, so that workers remove their cgroups as they stop; SIGKILL what is still there after 10 s. */
async function stopAll(programs: RunningProgram[]): Promise<void> {
  for (const program of programs.splice(0).reverse()) {
    program.kill('SIGTERM');
    const timer = setTimeout(() => program.kill('SIGKILL'), 10_000);
    await program.exited;
    clearTimeout(timer);
  }
}

const isolationLine = (worker: RunningProgram): Record<string, unknown> | undefined =>
  worker.logs.find((entry) => entry.msg === 'job isolation');

describe("a job's environment", () => {
  const started: RunningProgram[] = [];
  const clients: DistExecClient[] = [];
  afterAll(async () => {
    for (const client of clients) client.close();
    await stopAll(started);
  });

  it("holds neither the worker's token nor its other dist-exec settings; --clean-env keeps PATH, HOME and LANG", async () => {
    const master = await startMasterProcess(FAST);
    started.push(master);
    // The worker presents its token from the environment (DIST_EXEC_TOKEN), as an operator might start it.
    const settings = {
      DIST_EXEC_TOKEN: master.workerToken,
      DIST_EXEC_TLS_KEY: '/etc/dist-exec/worker.key',
      UNRELATED_SETTING: 'kept',
      LANG: 'C.UTF-8',
    };
    for (const [id, extra] of [
      ['env-full', []],
      ['env-clean', ['--clean-env']],
    ] as const) {
      started.push(
        await startWorkerProcess(
          master.address,
          ['--id', id, '--labels', `env=${id}`, '--isolation', 'none', ...extra],
          settings,
        ),
      );
    }
    const client = new DistExecClient({ address: master.address, token: master.token });
    clients.push(client);
    const run = async (id: string): Promise<string> => {
      const { job } = await client.submit({ argv: ['env'], constraints: { env: id }, env: { JOB_OWN: 'mine' } });
      const done = await client.waitForJob(job.id);
      expect(done.state).toBe('COMPLETED');
      return Buffer.from((await client.getJob(job.id, { output: true })).stdout ?? []).toString();
    };
    const full = await run('env-full');
    expect(master.workerToken.length).toBeGreaterThan(10);
    expect(full).not.toContain(master.workerToken);
    expect(full).not.toMatch(/^DIST_EXEC_(TOKEN|TOKEN_FILE|TLS_KEY|MASTER|ISOLATION)=/m);
    expect(full).toMatch(/^DIST_EXEC_JOB_ID=/m);
    expect(full).toMatch(/^UNRELATED_SETTING=kept$/m);
    expect(full).toMatch(/^JOB_OWN=mine$/m);
    const clean = await run('env-clean');
    const names = clean
      .trim()
      .split('\n')
      .map((line) => line.slice(0, line.indexOf('=')))
      .sort();
    expect(names).toEqual(
      ['DIST_EXEC_ATTEMPT', 'DIST_EXEC_JOB_ID', 'DIST_EXEC_NODE_ID', 'HOME', 'JOB_OWN', 'LANG', 'PATH'].sort(),
    );
  });
});

withCgroups('isolation with cgroups (root)', () => {
  const started: RunningProgram[] = [];
  let master: MasterProcess;
  let client: DistExecClient;
  const workers: Record<string, RunningProgram> = {};
  const secretDir = mkdtempSync(join(tmpdir(), 'dist-exec-secret-'));
  const secret = join(secretDir, 'secret');

  beforeAll(async () => {
    master = await startMasterProcess(FAST);
    started.push(master);
    const paths: [string, string[]][] = [
      ['native', []],
      ['perl', ['--spawn', 'perl']],
      ['none', ['--isolation', 'none']],
      ['users', ['--run-as', 'nobody', '--allowed-users', 'daemon']],
    ];
    await Promise.all(
      paths.map(async ([path, args]) => {
        const id = `iso-${path}-${process.pid}`;
        const worker = await startWorkerProcess(master, [
          '--id',
          id,
          '--labels',
          `path=${path}`,
          '--max-tasks',
          '8',
          '--max-job-pids',
          '64',
          '--kill-grace',
          '500ms',
          ...args,
        ]);
        started.push(worker);
        workers[path] = worker;
      }),
    );
    client = new DistExecClient({ address: master.address, token: master.token });
    writeFileSync(secret, 'the worker user only\n');
    chmodSync(secret, 0o600);
  });

  afterAll(async () => {
    client?.close();
    await stopAll(started);
  });

  async function runOn(path: string, spec: JobSpecInput): Promise<JobView> {
    const { job } = await client.submit({ ...spec, constraints: { path } });
    await client.waitForJob(job.id);
    return client.getJob(job.id, { output: true });
  }

  it('says at start which backend it uses and what it enforces', () => {
    for (const path of ['native', 'perl', 'users']) {
      expect(isolationLine(workers[path]!)).toMatchObject({
        backend: 'cgroup',
        enforces: expect.arrayContaining([expect.stringMatching(/^memory limit/), 'pids limit (64)']),
      });
    }
    expect(isolationLine(workers.none!)).toMatchObject({ backend: 'none' });
  });

  it('a worker whose cgroup dir was removed under it makes it again', async () => {
    const dirs = isolationLine(workers.users!)?.cgroups as string[];
    for (const dir of dirs) rmdirSync(dir);
    const job = await runOn('users', { command: 'echo back' });
    expect(job.state).toBe('COMPLETED');
    for (const dir of dirs.slice(0, 2)) expect(existsSync(dir)).toBe(true);
  });

  it.skipIf(!hasPython && !toolsRequired())(
    'a job over its memory ends OUT_OF_MEMORY with its peak; the same job with 2 GiB allowed completes',
    async () => {
      const grab = "python3 -c 'b = bytearray(1 << 30); print(len(b))'";
      // One after the other: zeroing 1 GiB is seconds of CPU, which a neighbouring test file would feel twice over.
      const small = await runOn('native', { command: grab, memoryBytes: 128 * MiB });
      const large = await runOn('native', { command: grab, memoryBytes: 2048 * MiB });
      expect(small).toMatchObject({ state: 'FAILED', reason: 'OUT_OF_MEMORY', exitCode: 137 });
      expect(small.error).toMatch(/OOM killer: it went over its memory limit of 128Mi/);
      const attempt = small.attemptHistory[0]!;
      expect(attempt.peakMemoryBytes).toBeGreaterThanOrEqual(120 * MiB);
      expect(attempt.peakMemoryBytes).toBeLessThanOrEqual(128 * MiB);
      expect(large).toMatchObject({ state: 'COMPLETED' });
      expect(Buffer.from(large.stdout ?? []).toString()).toBe(`${1 << 30}\n`);
      expect(large.attemptHistory[0]!.peakMemoryBytes).toBeGreaterThan(1024 * MiB);
      expect(large.attemptHistory[0]!.cpuTimeMs).toBeGreaterThan(0);

      const status = await runCli(['status', small.id], {
        DIST_EXEC_MASTER: master.address,
        DIST_EXEC_TOKEN: master.token,
      });
      expect(status.stdout.toString()).toMatch(/Reason: +OUT_OF_MEMORY/);
      expect(status.stdout.toString()).toMatch(/Resources: +asked memory 128Mi; peak memory 12\dMi, cpu time/);
      const metrics = (await httpRequest(`http://127.0.0.1:${master.httpPort}/metrics`, { token: master.token })).text;
      expect(
        metricValue(metrics, 'dist_exec_jobs_finished_total', { state: 'FAILED', reason: 'OUT_OF_MEMORY' }),
      ).toBeGreaterThanOrEqual(1);
    },
  );

  it('a fork bomb stops at the pids limit: the job fails, the worker keeps heartbeating, a neighbour completes', async () => {
    const marker = `bomb-${process.pid}`;
    const { job: bomb } = await client.submit({
      // The bomb goes on in the background; the main process sleeps on as the shell itself (exec: no fork).
      argv: ['bash', '-c', ':(){ :|:& };: ; exec sleep 30', marker],
      timeoutMs: 3000,
      constraints: { path: 'native' },
    });
    const { job: neighbour } = await client.submit({
      command: 'sleep 2; echo neighbour done',
      constraints: { path: 'native' },
    });
    let most = 0;
    while (['PENDING', 'RUNNING'].includes((await client.getJob(bomb.id)).state)) {
      most = Math.max(most, (await processesMatching(marker)).length);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    console.log(`[measure] fork bomb: at most ${most} of its processes seen at once (pids limit 64)`);
    expect(most).toBeLessThanOrEqual(64);
    const done = await client.getJob(bomb.id, { output: true });
    expect(done).toMatchObject({ state: 'FAILED', reason: 'TIMEOUT' });
    expect(Buffer.from(done.stderr ?? []).toString()).toMatch(/fork: (retry: )?Resource temporarily unavailable/);
    await until(async () => (await processesMatching(marker)).length === 0, { message: 'the bomb to be gone' });
    const next = await client.waitForJob(neighbour.id);
    expect(next.state).toBe('COMPLETED');
    const node = (await client.listNodes()).find((n) => n.id === `iso-native-${process.pid}`);
    expect(node?.state).toBe('HEALTHY');
    expect(Date.now() - (node?.lastHeartbeatMs ?? 0)).toBeLessThan(2000);
  });

  it('nothing a job started survives it: setsid and background children, at exit, timeout and cancel, on every path', async () => {
    const cases = ['native', 'perl', 'none'].flatMap((path) =>
      (['exit', 'timeout', 'cancel'] as const).map((how) => ({ path, how, sleep: uniqueSleep() })),
    );
    const jobs = await Promise.all(
      cases.map(async ({ path, how, sleep }) => {
        const command =
          how === 'exit' ? `setsid ${sleep} & ${sleep} & exit 0` : `setsid ${sleep} & ${sleep} & ${sleep}`;
        const spec = { command, constraints: { path }, ...(how === 'timeout' ? { timeoutMs: 1500 } : {}) };
        return (await client.submit(spec)).job;
      }),
    );
    await Promise.all(
      cases.map(async ({ how, sleep }, i) => {
        if (how !== 'cancel') return;
        await until(async () => (await sleepsOf(sleep)).length === 3, { message: `${sleep} to start` });
        await client.cancel(jobs[i]!.id);
      }),
    );
    const done = await Promise.all(jobs.map((job) => client.waitForJob(job.id)));
    expect(done.map((job, i) => [cases[i]!.path, cases[i]!.how, job.state])).toEqual(
      cases.map(({ path, how }) => [
        path,
        how,
        how === 'exit' ? 'COMPLETED' : how === 'timeout' ? 'FAILED' : 'CANCELLED',
      ]),
    );
    for (const { sleep } of cases)
      await until(async () => (await sleepsOf(sleep)).length === 0, {
        timeoutMs: 5000,
        message: `every ${sleep} to be gone`,
      });
  });

  it('a double-forked daemon holding its stdout does not keep the job running, and is killed', async () => {
    for (const path of ['native', 'none']) {
      const sleep = uniqueSleep();
      const startedAt = Date.now();
      const job = await runOn(path, { command: `(setsid sh -c '${sleep}; echo late' &) ; echo main done` });
      expect(job.state).toBe('COMPLETED');
      expect(Buffer.from(job.stdout ?? []).toString()).toBe('main done\n');
      expect(Date.now() - startedAt).toBeLessThan(10_000);
      await until(async () => (await sleepsOf(sleep)).length === 0, {
        timeoutMs: 5000,
        message: `the daemon of the ${path} path to be gone`,
      });
    }
  });

  it("--run-as nobody: jobs run as that user and cannot read the worker's 0600 files; --user picks an allowed one", async () => {
    const asNobody = await runOn('users', { command: `id -u; cat ${secret}` });
    expect(asNobody).toMatchObject({ state: 'FAILED', exitCode: 1 });
    expect(Buffer.from(asNobody.stdout ?? []).toString()).toBe('65534\n');
    expect(Buffer.from(asNobody.stderr ?? []).toString()).toMatch(/Permission denied/);
    const asDaemon = await runOn('users', { command: 'id -un; echo "$HOME $USER"', user: 'daemon' });
    expect(asDaemon.state).toBe('COMPLETED');
    expect(Buffer.from(asDaemon.stdout ?? []).toString()).toMatch(/^daemon\n\S+ daemon\n$/);
    const asRoot = await runOn('users', { command: 'id -u', user: 'root' });
    expect(asRoot).toMatchObject({ state: 'FAILED', reason: 'EXECUTOR_ERROR' });
    expect(asRoot.error).toMatch(/does not run jobs as "root"; it allows daemon \(--allowed-users\)/);
  });
});

withCgroups('a worker killed with -9 (root, cgroups)', () => {
  const started: RunningProgram[] = [];
  const clients: DistExecClient[] = [];
  afterAll(async () => {
    for (const client of clients) client.close();
    await stopAll(started);
  });

  it('takes its jobs with it within a second; with --retries 1 each job ran once to completion', async () => {
    const master = await startMasterProcess(FAST);
    started.push(master);
    const client = new DistExecClient({ address: master.address, token: master.token });
    clients.push(client);
    const stateDir = mkdtempSync(join(tmpdir(), 'dist-exec-worker-state-'));
    const args = ['--id', `kill9-${process.pid}`, '--state-dir', stateDir, '--max-tasks', '3'];
    const first = await startWorkerProcess(master, args);
    started.push(first);
    const count = join(mkdtempSync(join(tmpdir(), 'dist-exec-count-')), 'ran');
    const sleeps = [uniqueSleep(), uniqueSleep(), uniqueSleep()];
    const jobs = await Promise.all(
      sleeps.map(async (sleep) => {
        // Attempt 1 sleeps long (it is killed); attempt 2 finishes at once. Only a finished run counts.
        const command = `if [ "$DIST_EXEC_ATTEMPT" = 1 ]; then ${sleep}; fi; echo "$DIST_EXEC_JOB_ID" >> ${count}`;
        return (await client.submit({ command, maxRetries: 1 })).job;
      }),
    );
    const pids = await until(
      async () => {
        const all = (await Promise.all(sleeps.map((s) => sleepsOf(s)))).flat();
        return all.length === 3 ? all : null;
      },
      { message: 'the three jobs to run' },
    );
    const killedAt = Date.now();
    first.kill('SIGKILL');
    await until(() => pids.every(gone), { intervalMs: 5, message: 'the jobs of the killed worker to be gone' });
    const goneMs = Date.now() - killedAt;
    console.log(`[measure] kill -9 of a worker: its 3 jobs gone ${goneMs}ms later`);
    expect(goneMs).toBeLessThan(1000);

    const second = await startWorkerProcess(master, args);
    started.push(second);
    const done = await Promise.all(jobs.map((job) => client.waitForJob(job.id)));
    expect(done.map((job) => [job.state, job.attempts])).toEqual(Array(3).fill(['COMPLETED', 2]));
    const ran = readFileSync(count, 'utf8').trim().split('\n').sort();
    expect(ran).toEqual(jobs.map((job) => job.id).sort());
  });

  it('a worker of the same id in another cluster, with another state dir, has cgroups of its own: its start kills nothing of the first', async () => {
    // Test clusters side by side on one machine reuse ids; a worker's start sweeps only its own (id, state dir) cgroups.
    const id = `twin-${process.pid}`;
    const masters = await Promise.all([startMasterProcess(FAST), startMasterProcess(FAST)]);
    started.push(...masters);
    const first = await startWorkerProcess(masters[0]!, ['--id', id]);
    started.push(first);
    const client = new DistExecClient({ address: masters[0]!.address, token: masters[0]!.token });
    clients.push(client);
    const sleep = uniqueSleep();
    const { job } = await client.submit({ command: sleep, memoryBytes: 64 * MiB });
    await until(async () => (await sleepsOf(sleep)).length === 1, { message: 'the job to run' });

    const second = await startWorkerProcess(masters[1]!, ['--id', id]);
    started.push(second);
    const dirs = (worker: RunningProgram): string[] => isolationLine(worker)?.cgroups as string[];
    expect(dirs(second)).toHaveLength(dirs(first).length);
    for (const dir of dirs(second)) expect(dirs(first)).not.toContain(dir);
    expect(await sleepsOf(sleep)).toHaveLength(1);
    expect((await client.getJob(job.id)).state).toBe('RUNNING');
    await client.cancel(job.id);
  });

  it('restarted after its spawner died too, it kills what was left before it registers, and reports those attempts lost', async () => {
    const master = await startMasterProcess([...FAST, '--heartbeat-timeout', '60s', '--node-lost-timeout', '120s']);
    started.push(master);
    const client = new DistExecClient({ address: master.address, token: master.token });
    clients.push(client);
    const stateDir = mkdtempSync(join(tmpdir(), 'dist-exec-worker-state-'));
    const id = `crash-${process.pid}`;
    const first = await startWorkerProcess(master, ['--id', id, '--state-dir', stateDir]);
    started.push(first);
    const sleeps = [uniqueSleep(), uniqueSleep()];
    const jobs = await Promise.all(sleeps.map(async (sleep) => (await client.submit({ command: sleep })).job));
    await until(async () => (await Promise.all(sleeps.map((s) => sleepsOf(s)))).flat().length === 2, {
      message: 'the jobs to run',
    });
    // The spawner is frozen, so it cannot kill the jobs when the worker dies; then it dies as well.
    const spawner = readFileSync(`/proc/${first.process.pid}/task/${first.process.pid}/children`, 'utf8')
      .trim()
      .split(' ')
      .map(Number)
      .find((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('spawner'));
    expect(spawner).toBeGreaterThan(0);
    process.kill(spawner!, 'SIGSTOP');
    first.kill('SIGKILL');
    await first.exited;
    process.kill(spawner!, 'SIGKILL');
    expect((await Promise.all(sleeps.map((s) => sleepsOf(s)))).flat()).toHaveLength(2);

    const second = await startWorkerProcess(master, ['--id', id, '--state-dir', stateDir]);
    started.push(second);
    // Registered only after the leftovers are dead.
    expect((await Promise.all(sleeps.map((s) => sleepsOf(s)))).flat()).toHaveLength(0);
    const swept = second.logs.findIndex((entry) => String(entry.msg).startsWith('killed what a previous run'));
    const registered = second.logs.findIndex((entry) => entry.msg === 'registered with the master');
    expect(swept).toBeGreaterThanOrEqual(0);
    expect(swept).toBeLessThan(registered);
    expect((second.logs[swept]!.attempts as { jobId: string }[]).map((a) => a.jobId).sort()).toEqual(
      jobs.map((job) => job.id).sort(),
    );
    // The master may have failed them first (the dead worker refused connections): either way, lost.
    const done = await Promise.all(jobs.map((job) => client.waitForJob(job.id)));
    for (const job of done) {
      expect(job).toMatchObject({ state: 'FAILED', reason: 'WORKER_LOST' });
      expect(job.error).toMatch(/killed when its worker restarted|refuses connections|no longer runs the attempt/);
    }
  });
});
