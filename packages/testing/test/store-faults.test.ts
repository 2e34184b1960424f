import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DistExecClient } from '@dist-exec/client';
import {
  fillDisk,
  httpRequest,
  mountTmpfs,
  PROGRAMS,
  runCli,
  servingStatus,
  startCommand,
  startMasterProcess,
  startWorkerProcess,
  toolsRequired,
  until,
  type MasterProcess,
  type RunningProgram,
  type Tmpfs,
} from '@dist-exec/testing';

/**
 * The master when its disk misbehaves, as an operator would find it: a full
 * tmpfs, the data dir deleted under it, a database it may not write. It
 * says what is wrong (readiness, gRPC health, submits, the CLI), comes back
 * by itself when the fault clears, and no acknowledged job is lost or doubled.
 */

const programs: RunningProgram[] = [];
const clients: DistExecClient[] = [];
const mounts: Tmpfs[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  for (const program of programs.splice(0)) {
    program.kill('SIGKILL');
    await program.exited;
  }
  for (const mount of mounts.splice(0)) mount.unmount();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** The uid and gid of `nobody` on Debian. */
const NOBODY = 65534;

async function startMaster(dataDir: string, extra: string[] = []): Promise<MasterProcess> {
  const master = await startMasterProcess(['--store', 'sqlite', '--data-dir', dataDir, ...extra]);
  programs.push(master);
  return master;
}

function clientOf(master: MasterProcess): DistExecClient {
  const client = new DistExecClient({ address: master.address, token: master.token });
  clients.push(client);
  return client;
}

async function readiness(httpPort: number): Promise<{ status: number; store: string }> {
  const res = await httpRequest(`http://127.0.0.1:${httpPort}/readyz`);
  return { status: res.status, store: (res.json as { checks: { store: string } }).checks.store };
}

/** Ids of every job the master has, with repeats if any. */
async function allJobIds(client: DistExecClient): Promise<string[]> {
  const ids: string[] = [];
  let pageToken = '';
  do {
    const page = await client.listJobs({ pageSize: 1000, pageToken });
    ids.push(...page.jobs.map((job) => job.id));
    pageToken = page.nextPageToken;
  } while (pageToken);
  return ids;
}

describe('faults of the disk under a real master', () => {
  it('a full disk: not ready, submits refused with the cause, and it comes back by itself once space is freed', async () => {
    const mounted = mountTmpfs(20 * 1024 * 1024);
    if ('skip' in mounted) {
      if (toolsRequired()) throw new Error(mounted.skip);
      console.warn(`skipped: ${mounted.skip}`);
      return;
    }
    mounts.push(mounted);
    const dataDir = join(mounted.dir, 'data');
    const master = await startMaster(dataDir, ['--min-free-space', '1Mi']);
    const worker = await startWorkerProcess(master, ['--max-tasks', '4']);
    programs.push(worker);
    const client = clientOf(master);
    const gate = join(mkdtempSync(join(tmpdir(), 'dist-exec-gate-')), 'open');
    dirs.push(gate.replace(/\/open$/, ''));
    // Acknowledged before the disk fills: one runs across the outage, its result reported while nothing can be stored.
    const { job: across } = await client.submit({ command: `while [ ! -e ${gate} ]; do sleep 0.05; done; echo done` });
    const before = await client.submitMany(Array.from({ length: 20 }, (_, i) => ({ command: `echo before ${i}` })));
    await until(async () => (await client.getJob(across.id)).state === 'RUNNING');

    fillDisk(join(mounted.dir, 'filler'));
    const refused = await client.submit({ command: 'echo refused' }).catch((e: Error) => e);
    expect(refused).toMatchObject({
      code: 'UNAVAILABLE',
      message: expect.stringMatching(
        new RegExp(`^cannot store jobs: disk full at ${dataDir}: 0 bytes free; free some space$`),
      ),
    });
    expect(await readiness(master.httpPort)).toEqual({ status: 503, store: expect.stringMatching(/^disk full at /) });
    expect(await servingStatus(master.address)).toBe('NOT_SERVING');
    const http = await httpRequest(`http://127.0.0.1:${master.httpPort}/api/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${master.token}` },
      body: JSON.stringify({ command: 'echo refused' }),
    });
    expect(http.status).toBe(503);
    expect(http.json).toMatchObject({ error: { code: 'UNAVAILABLE', message: expect.stringMatching(/disk full/) } });
    const cli = await runCli(['run', '--detach', 'echo refused'], {
      DIST_EXEC_MASTER: master.address,
      DIST_EXEC_TOKEN_FILE: master.tokenFile,
    });
    expect(cli.code).toBe(125);
    expect(cli.stderr).toMatch(
      new RegExp(
        `^dist-exec: the master is up but cannot store jobs: disk full at ${dataDir}: 0 bytes free; free some space\\n$`,
      ),
    );
    // The job that ran across the outage finishes on its worker, which holds the result until it is stored.
    writeFileSync(gate, '');

    rmSync(join(mounted.dir, 'filler'));
    await until(async () => (await readiness(master.httpPort)).status === 200, { message: 'ready again' });
    expect(await servingStatus(master.address)).toBe('SERVING');
    const { job: after } = await client.submit({ command: 'echo after' });
    await until(async () => (await client.getJob(after.id)).state === 'COMPLETED');
    await until(async () => (await client.getJob(across.id)).state === 'COMPLETED');
    expect(master.logs.some((e) => e.msg === 'store writable again; submits are taken again')).toBe(true);

    // Over a restart: every acknowledged job once, nothing refused.
    master.kill('SIGTERM');
    await master.exited;
    const again = await startMaster(dataDir, ['--min-free-space', '1Mi']);
    const ids = await allJobIds(clientOf(again));
    expect(ids.sort()).toEqual([across.id, after.id, ...before.map((j) => j.id)].sort());
    const finished = await clientOf(again).getJob(across.id, { output: true });
    expect(finished).toMatchObject({ state: 'COMPLETED', attempts: 1 });
    expect(Buffer.from(finished.stdout ?? []).toString()).toBe('done\n');
  });

  it('the data dir deleted: the next submit is refused, the database is written back, and a second master is still refused', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'dist-exec-rm-')), 'data');
    dirs.push(join(dataDir, '..'));
    const master = await startMaster(dataDir);
    // No memory-mapped WAL index to fail with SIGBUS: the master keeps it in its heap.
    expect(readdirSync(dataDir).filter((f) => f.endsWith('-shm'))).toEqual([]);
    const client = clientOf(master);
    const acknowledged = (await client.submitMany(Array.from({ length: 5 }, (_, i) => ({ command: `echo ${i}` })))).map(
      (j) => j.id,
    );

    rmSync(dataDir, { recursive: true, force: true });
    const refused = await client.submit({ command: 'echo refused' }).catch((e: Error) => e);
    expect(refused).toMatchObject({
      code: 'UNAVAILABLE',
      message: expect.stringMatching(/was deleted while the master ran/),
    });
    await until(async () => (await readiness(master.httpPort)).status === 200, { message: 'ready again' });
    expect(existsSync(join(dataDir, 'dist-exec.db'))).toBe(true);
    for (let i = 0; i < 3; i += 1) acknowledged.push((await client.submit({ command: `echo after ${i}` })).job.id);

    const second = startProcess(['--store', 'sqlite', '--data-dir', dataDir]);
    expect((await second.exited).code).toBe(1);
    expect(second.logs.map((l) => l.msg).join('\n')).toMatch(
      /dist-exec\.lock: the data dir is in use by another running master/,
    );

    master.kill('SIGTERM');
    await master.exited;
    const again = await startMaster(dataDir);
    expect((await allJobIds(clientOf(again))).sort()).toEqual([...acknowledged].sort());

    // The online backup comes from the master (nothing else may read its database), and restores as documented.
    const backup = await fetch(`http://127.0.0.1:${again.httpPort}/api/v1/backup`, {
      headers: { authorization: `Bearer ${again.token}` },
    });
    expect(backup.status).toBe(200);
    const restored = join(dataDir, '..', 'restored');
    mkdirSync(restored);
    writeFileSync(join(restored, 'dist-exec.db'), Buffer.from(await backup.arrayBuffer()));
    const fromBackup = await startMaster(restored);
    expect((await allJobIds(clientOf(fromBackup))).sort()).toEqual([...acknowledged].sort());
  });

  it('a database it may not write: a master of another user refuses to start, in one line', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'dist-exec-ro-')), 'data');
    dirs.push(join(dataDir, '..'));
    const first = await startMaster(dataDir);
    first.kill('SIGTERM');
    await first.exited;
    if (process.getuid?.() !== 0) {
      if (toolsRequired()) throw new Error('runuser needs root');
      console.warn('skipped: a master of another user needs root (runuser)');
      return;
    }
    chmodSync(join(dataDir, '..'), 0o755);
    chmodSync(dataDir, 0o777);
    chmodSync(join(dataDir, 'dist-exec.db'), 0o444);
    chmodSync(join(dataDir, 'dist-exec.lock'), 0o666);
    // Its tokens are its own (a token file others may read is refused); the database is not.
    for (const file of ['admin.token', 'worker.token']) chownSync(join(dataDir, file), NOBODY, NOBODY);
    const master = startProcess(['--store', 'sqlite', '--data-dir', dataDir], ['runuser', '-u', 'nobody', '--']);
    const exited = await master.exited;
    const lines = master.logs.map((l) => l.msg);
    expect(exited.code).toBe(1);
    expect(lines).toEqual([
      `dist-exec-master: could not start: ${dataDir}/dist-exec.db: not writable (EACCES); give the master write access or choose another --data-dir`,
    ]);
  });
});

/** A master process that may not start (no "master listening" to wait for), optionally under a wrapper such as runuser. */
function startProcess(args: string[], wrapper: string[] = []): RunningProgram {
  const argv = [PROGRAMS.master, '--host', '127.0.0.1', '--port', '0', '--http-port', '0', ...args];
  const [command, ...rest] = [...wrapper, process.execPath, ...argv] as [string, ...string[]];
  const program = startCommand('master', command, rest);
  programs.push(program);
  return program;
}
