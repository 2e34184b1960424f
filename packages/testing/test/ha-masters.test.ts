import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DistExecClient } from '@dist-exec/client';
import {
  databaseName,
  freePort,
  postgresAvailable,
  runCli,
  startProgram,
  startTestPostgres,
  until,
  type RunningProgram,
  type TestPostgres,
} from '@dist-exec/testing';

/**
 * Three masters on one real PostgreSQL, three real workers given the list of
 * masters: the leader is killed (kill -9) or paused (kill -STOP) under load,
 * another takes over within the lease TTL, and every acknowledged job runs
 * exactly once. Short leases through the flags, so the tests stay quick.
 */

const LEASE = ['--lease-ttl', '3s', '--lease-renew', '300ms'];
/** For the repeated kills: each failover waits out the TTL. */
const SHORT_LEASE = ['--lease-ttl', '1s', '--lease-renew', '150ms'];
/** Workers notice a dead master within a second; a loaded machine does not make them UNHEALTHY. */
const FAST = ['--heartbeat-interval', '300ms', '--heartbeat-timeout', '30s', '--node-lost-timeout', '60s'];
const LONG = { timeoutMs: 150_000 };

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
    program.kill('SIGCONT');
    program.kill('SIGKILL');
    await program.exited;
  }
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dist-exec-ha-'));
  dirs.push(dir);
  return dir;
}

interface HaMaster {
  program: RunningProgram;
  address: string;
}

interface Cluster {
  masters: HaMaster[];
  /** Where every master keeps (and shares) the bootstrap token files. */
  dataDir: string;
  token: string;
  list: string;
}

/** Three masters on one database, sharing their token files; resolves once one of them leads. */
async function startCluster(url: string, lease = LEASE): Promise<Cluster> {
  const dataDir = tempDir();
  const ports = await Promise.all([freePort(), freePort(), freePort()]);
  const masters = ports.map((port) => startMaster(url, dataDir, port, lease));
  await Promise.all(masters.map((m) => m.program.waitForLog('master following')));
  await until(() => leaderOf(masters), { message: 'a master to lead' });
  const token = await until(() => read(join(dataDir, 'admin.token')), { message: 'the admin token file' });
  return { masters, dataDir, token, list: masters.map((m) => m.address).join(',') };
}

/** One master of the cluster, on its own port (a killed one is started again on the same port). */
function startMaster(url: string, dataDir: string, port: number, lease = LEASE): HaMaster {
  const program = startProgram(
    'master',
    [
      ...lease,
      ...FAST,
      ...['--host', '127.0.0.1', '--port', String(port), '--http-port', '0'],
      ...['--store', 'postgres', '--data-dir', dataDir, '--worker-token-file', join(dataDir, 'worker.token')],
    ],
    { DIST_EXEC_DATABASE_URL: url },
  );
  started.push(program);
  return { program, address: `127.0.0.1:${port}` };
}

function read(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
}

/** The master that leads now: the last to say it took the lease, among those alive. */
function leaderOf(masters: readonly HaMaster[]): HaMaster | undefined {
  let best: { master: HaMaster; epoch: number } | undefined;
  for (const master of masters) {
    if (master.program.process.exitCode !== null || master.program.process.signalCode !== null) continue;
    for (const entry of master.program.logs) {
      if (entry.msg !== 'took the lease; leading') continue;
      const epoch = Number(entry.epoch);
      if (!best || epoch > best.epoch) best = { master, epoch };
    }
  }
  return best?.master;
}

function epochOf(master: HaMaster): number {
  return Math.max(
    0,
    ...master.program.logs.filter((e) => e.msg === 'took the lease; leading').map((e) => Number(e.epoch)),
  );
}

/** Workers given the list of masters; waited for generously (a loaded machine starts a process in seconds). */
async function workers(cluster: Cluster, count: number): Promise<void> {
  const programs = Array.from({ length: count }, (_, i) => {
    const program = startProgram(
      'worker',
      [
        ...['--master', cluster.list, '--host', '127.0.0.1', '--port', '0', '--state-dir', tempDir()],
        ...['--id', `w${i + 1}`, '--max-tasks', '8', '--kill-grace', '1s'],
      ],
      { DIST_EXEC_TOKEN_FILE: join(cluster.dataDir, 'worker.token') },
    );
    started.push(program);
    return program;
  });
  await Promise.all(programs.map((p) => p.waitForLog('registered with the master', LONG.timeoutMs)));
}

function client(cluster: Cluster, masters = cluster.masters): DistExecClient {
  const c = new DistExecClient({
    address: masters.map((m) => m.address).join(','),
    token: cluster.token,
    retry: { retries: 5, capMs: 1000 },
  });
  clients.push(c);
  return c;
}

function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

function duplicates(ids: readonly string[]): string[] {
  const seen = new Set<string>();
  return ids.filter((id) => (seen.has(id) ? true : (seen.add(id), false)));
}

/** Submits until a submit is acknowledged (a failover may be under way); the job's id. */
async function submitted(c: DistExecClient, command: string): Promise<string[]> {
  return until(async () => (await c.submitMany(Array.from({ length: 20 }, () => ({ command })))).map((j) => j.id), {
    ...LONG,
    intervalMs: 100,
    message: 'a submit to be acknowledged',
  });
}

describe.skipIf(!withPostgres)('three masters on one PostgreSQL', () => {
  it(
    'kill -9 of the leader while 500 jobs run and more come through the others: every acknowledged job runs once',
    { timeout: 300_000 },
    async () => {
      const cluster = await startCluster(await server.createDatabase());
      await workers(cluster, 3);
      const ran = join(tempDir(), 'ran.log');
      const command = `echo "$DIST_EXEC_JOB_ID" >> ${ran}; sleep 0.05`;
      const c = client(cluster);
      const ids: string[] = [];
      for (let batch = 0; batch < 5; batch += 1)
        ids.push(...(await c.submitMany(Array.from({ length: 100 }, () => ({ command })))).map((j) => j.id));
      await until(() => lines(ran).length >= 100, { ...LONG, message: '100 jobs to run' });

      const old = leaderOf(cluster.masters) as HaMaster;
      const oldEpoch = epochOf(old);
      const killedAt = Date.now();
      old.program.kill('SIGKILL');
      await old.program.exited;
      const survivors = cluster.masters.filter((m) => m !== old);
      const taken = until(
        () => {
          const next = leaderOf(survivors);
          return next && epochOf(next) > oldEpoch ? next : undefined;
        },
        { ...LONG, intervalMs: 10, message: 'another master to lead' },
      ).then((master) => ({ master, failoverMs: Date.now() - killedAt }));
      // More jobs, submitted through the surviving masters while they fail over.
      const through = client(cluster, survivors);
      for (let batch = 0; batch < 5; batch += 1) ids.push(...(await submitted(through, command)));
      const { master: next, failoverMs } = await taken;
      expect(epochOf(next)).toBeGreaterThan(oldEpoch);

      await until(
        async () =>
          (await through.listJobs({ states: ['COMPLETED', 'FAILED', 'CANCELLED'], pageSize: 1 })).totalCount ===
          ids.length,
        { ...LONG, message: `all ${ids.length} jobs to end` },
      );
      const all = await through.listAllJobs({ limit: 2000 });
      expect(all.totalCount).toBe(ids.length);
      expect(all.jobs.filter((j) => j.state !== 'COMPLETED').map((j) => `${j.id} ${j.state}`)).toEqual([]);
      const done = lines(ran);
      expect(duplicates(done)).toEqual([]);
      expect([...new Set(done)].sort()).toEqual([...ids].sort());
      console.log(
        `[measure] ha: leader killed (kill -9) with ${ids.length} jobs; a new leader (epoch ${epochOf(next)}) ${failoverMs}ms later (lease TTL 3s); every job ran once`,
      );
    },
  );

  it(
    'ten leader kills in a row and every master connection cut, with jobs flowing: nothing lost, nothing run twice',
    { timeout: 300_000 },
    async () => {
      const url = await server.createDatabase();
      const cluster = await startCluster(url, SHORT_LEASE);
      await workers(cluster, 2);
      const ran = join(tempDir(), 'ran.log');
      const command = `echo "$DIST_EXEC_JOB_ID" >> ${ran}`;
      const c = client(cluster);
      const ids: string[] = [];
      const failoverMs: number[] = [];
      for (let kill = 1; kill <= 10; kill += 1) {
        ids.push(...(await submitted(c, command)));
        const old = await until(() => leaderOf(cluster.masters), { ...LONG, message: 'a master to lead' });
        const oldEpoch = epochOf(old);
        const killedAt = Date.now();
        old.program.kill('SIGKILL');
        await old.program.exited;
        // Started again at once on its port: the cluster stays three, and the next kill may hit any of them.
        cluster.masters[cluster.masters.indexOf(old)] = startMaster(
          url,
          cluster.dataDir,
          Number(old.address.split(':')[1]),
          SHORT_LEASE,
        );
        ids.push(...(await submitted(c, command)));
        await until(
          () => {
            const next = leaderOf(cluster.masters);
            return next && epochOf(next) > oldEpoch ? next : undefined;
          },
          { ...LONG, intervalMs: 20, message: `a new leader after kill ${kill}` },
        );
        failoverMs.push(Date.now() - killedAt);
        if (kill === 5) {
          // Every connection of every master cut at once: the lease is a row, not a session, so nobody has to
          // fail over for it; the masters reconnect and go on.
          expect(await server.terminateConnections(databaseName(url))).toBeGreaterThan(0);
          ids.push(...(await submitted(c, command)));
        }
      }

      await until(
        async () =>
          (await c.listJobs({ states: ['COMPLETED', 'FAILED', 'CANCELLED'], pageSize: 1 })).totalCount === ids.length,
        { ...LONG, message: `all ${ids.length} jobs to end` },
      );
      const all = await c.listAllJobs({ limit: 2000 });
      expect(all.jobs.filter((j) => j.state !== 'COMPLETED').map((j) => `${j.id} ${j.state}`)).toEqual([]);
      const done = lines(ran);
      expect(duplicates(done)).toEqual([]);
      expect([...new Set(done)].sort()).toEqual([...ids].sort());
      const sorted = [...failoverMs].sort((a, b) => a - b);
      console.log(
        `[measure] ha: 10 leader kills (lease TTL 1s), ${ids.length} jobs each ran once; new leader after p50 ${sorted[4]}ms, max ${sorted[9]}ms`,
      );
    },
  );

  it(
    'kill -STOP of the leader past its TTL, another leads, kill -CONT: the old leader steps down and nothing runs twice',
    { timeout: 240_000 },
    async () => {
      const cluster = await startCluster(await server.createDatabase());
      await workers(cluster, 2);
      const ran = join(tempDir(), 'ran.log');
      const command = `echo "$DIST_EXEC_JOB_ID" >> ${ran}; sleep 0.2`;
      const c = client(cluster);
      // More than the workers' 16 slots: the paused leader holds a queue it would dispatch on waking.
      const ids = (await c.submitMany(Array.from({ length: 150 }, () => ({ command })))).map((j) => j.id);
      await until(() => lines(ran).length >= 10, { ...LONG, message: '10 jobs to run' });

      const old = leaderOf(cluster.masters) as HaMaster;
      const oldEpoch = epochOf(old);
      old.program.kill('SIGSTOP');
      const others = cluster.masters.filter((m) => m !== old);
      const next = await until(
        () => {
          const leader = leaderOf(others);
          return leader && epochOf(leader) > oldEpoch ? leader : undefined;
        },
        { ...LONG, message: 'another master to lead' },
      );
      expect(epochOf(next)).toBeGreaterThan(oldEpoch);
      // The workers follow the new leader; then the old one wakes up, its queue in hand.
      await until(() => lines(ran).length >= 40, { ...LONG, message: 'jobs to run under the new leader' });
      const logsBefore = old.program.logs.length;
      old.program.kill('SIGCONT');
      await until(() => old.program.logs.slice(logsBefore).find((e) => e.msg === 'lost the lease; stepping down'), {
        ...LONG,
        message: 'the old leader to step down',
      });
      await until(() => old.program.logs.filter((e) => e.msg === 'master following').length >= 2, {
        ...LONG,
        message: 'the old leader to follow',
      });

      const through = client(cluster);
      await until(
        async () =>
          (await through.listJobs({ states: ['COMPLETED', 'FAILED', 'CANCELLED'], pageSize: 1 })).totalCount ===
          ids.length,
        { ...LONG, message: `all ${ids.length} jobs to end` },
      );
      const done = lines(ran);
      expect(duplicates(done)).toEqual([]);
      expect([...new Set(done)].sort()).toEqual([...ids].sort());
      // Not one write of the old epoch landed after the new leader took over: the database refused them.
      const commits = old.program.logs
        .slice(logsBefore)
        .filter((e) => e.msg === 'store commit failed; no more writes are acknowledged');
      console.log(
        `[measure] ha: leader paused past its TTL; epoch ${oldEpoch} → ${epochOf(next)}; on waking it stepped down (${commits.length} commit refused); every job ran once`,
      );
    },
  );

  it(
    "dist-exec run keeps streaming across a kill -9 of the leader and exits with the job's code; PostgreSQL restarted: the cluster recovers by itself",
    { timeout: 240_000 },
    async () => {
      const cluster = await startCluster(await server.createDatabase());
      await workers(cluster, 1);
      const c = client(cluster);
      const gate = join(tempDir(), 'gate');
      const env = { DIST_EXEC_MASTER: cluster.list, DIST_EXEC_TOKEN_FILE: join(cluster.dataDir, 'admin.token') };
      const run = runCli(['run', `echo before; while [ ! -e ${gate} ]; do sleep 0.05; done; echo after; exit 3`], env);
      // Its first line printed: RUNNING alone is also a dispatch the worker may not have received before the kill,
      // which the next leader rightly runs again as attempt 2 (free: that attempt never started).
      const running = await until(
        async () => {
          const job = (await c.listJobs({ states: ['RUNNING'], pageSize: 1 })).jobs[0];
          const view = job && (await c.getJob(job.id, { output: true }));
          const printed = Buffer.from(view?.stdout ?? []).toString();
          return printed.includes('before') ? view : undefined;
        },
        { ...LONG, message: 'the job to print its first line' },
      );
      const old = leaderOf(cluster.masters) as HaMaster;
      const oldEpoch = epochOf(old);
      old.program.kill('SIGKILL');
      await until(
        () => {
          const next = leaderOf(cluster.masters);
          return next && epochOf(next) > oldEpoch;
        },
        { ...LONG, message: 'another master to lead' },
      );
      writeFileSync(gate, '');
      const result = await run;
      const out = result.stdout.toString();
      expect(result.code, result.stderr).toBe(3);
      // Resumed from its offset: each line once.
      expect(out.match(/before/g)).toHaveLength(1);
      expect(out.match(/after/g)).toHaveLength(1);
      expect((await c.waitForJob(running.id)).attempts).toBe(1);

      // The database goes away and comes back: nobody has to do anything.
      await server.stop();
      await server.start();
      const after = await until(
        () =>
          c.submit({ command: 'echo back' }).then(
            (r) => r.job.id,
            () => null,
          ),
        { ...LONG, intervalMs: 200, message: 'a submit to be taken after the restart' },
      );
      expect(await c.waitForJob(after)).toMatchObject({ state: 'COMPLETED' });
    },
  );
});
