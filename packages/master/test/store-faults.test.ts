import { copyFileSync, existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { OutputChunk } from '@dist-exec/core';
import { DATABASE_FILE, SqliteStore, StoreUnusableError } from '@dist-exec/master';
import { FakeClock, fillDisk, mountTmpfs, testLogger, toolsRequired, until, type Tmpfs } from '@dist-exec/testing';
import { makeJob } from './helpers.js';

/**
 * The sqlite store when the disk or the data dir misbehaves: a failed write
 * marks it failed with a cause a person acts on, submits fail and forget
 * their jobs, everything else waits, and a retry (on an injected clock)
 * brings it back once a write succeeds, with nothing acknowledged lost.
 * Real files and a real tmpfs (root only: skipped elsewhere, never in CI).
 */

const dirs: string[] = [];
const stores: SqliteStore[] = [];
const mounts: Tmpfs[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dist-exec-faults-'));
  dirs.push(dir);
  return dir;
}

async function openStore(dataDir: string, clock: FakeClock): Promise<SqliteStore> {
  const store = new SqliteStore({ dataDir, logger: testLogger(), clock, minFreeSpaceBytes: 0 });
  await store.open();
  stores.push(store);
  return store;
}

/** A store opened again on the same files, to read what is on disk. */
async function reopened(store: SqliteStore, dataDir: string): Promise<SqliteStore> {
  await store.close();
  return openStore(dataDir, new FakeClock());
}

function tmpfsOrSkip(size: number): Tmpfs | null {
  const mounted = mountTmpfs(size);
  if ('skip' in mounted) {
    if (toolsRequired()) throw new Error(mounted.skip);
    console.warn(`skipped: ${mounted.skip}`);
    return null;
  }
  mounts.push(mounted);
  return mounted;
}

function chunk(offset: number, text: string): OutputChunk {
  return { offset, stream: 'stdout', attempt: 1, timestampMs: 1, data: new Uint8Array(Buffer.from(text)) };
}

/** Whether a promise has settled, without waiting for it. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  for (const mount of mounts.splice(0)) mount.unmount();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('a store that cannot write', () => {
  it('a full disk: submits fail with the free space, other writes wait, and all of it goes once space is freed', async () => {
    const tmpfs = tmpfsOrSkip(4 * 1024 * 1024);
    if (!tmpfs) return;
    const clock = new FakeClock();
    const store = await openStore(tmpfs.dir, clock);
    const problems: (string | null)[] = [];
    store.watchProblem((problem) => problems.push(problem));
    const acknowledged = makeJob({}, { id: 'acked', seq: 1 });
    store.putJob(acknowledged);
    await store.flush();

    fillDisk(join(tmpfs.dir, 'filler'));
    // An attempt recorded and output a worker sent: nobody was told they failed, so they must not be lost.
    store.putJob({ ...acknowledged, state: 'RUNNING', attempts: 1 });
    store.appendOutput('acked', chunk(0, 'hello '));
    const recorded = store.flush();
    await until(() => store.problem);
    expect(store.problem).toMatch(new RegExp(`^disk full at ${tmpfs.dir}: 0 bytes free; free some space$`));
    expect(problems).toEqual([store.problem]);
    expect(await settled(recorded)).toBe(false);

    // A submit while it is failed: refused at once, its job forgotten.
    store.putJob(makeJob({ idempotencyKey: 'k' }, { id: 'refused', seq: 2 }));
    await expect(store.flush()).rejects.toThrow(/disk full/);
    expect(await store.getJob('refused')).toBeUndefined();
    expect(await store.findJobByIdempotencyKey('k')).toBeUndefined();
    // Reads see what waits for the disk.
    expect((await store.getJob('acked'))?.state).toBe('RUNNING');
    store.appendOutput('acked', chunk(6, 'world'));
    expect(Buffer.concat((await store.readOutput('acked', 0)).map((c) => c.data)).toString()).toBe('hello world');

    clock.advance(250); // a retry: still full
    expect(store.problem).toMatch(/^disk full/);
    expect(await settled(recorded)).toBe(false);

    rmSync(join(tmpfs.dir, 'filler'));
    clock.advance(500); // the next retry writes
    await recorded;
    expect(store.problem).toBeNull();
    expect(problems).toEqual([expect.stringMatching(/^disk full/), null]);
    store.putJob(makeJob({}, { id: 'after', seq: 3 }));
    await store.flush();

    const again = await reopened(store, tmpfs.dir);
    expect((await again.getJob('acked'))?.state).toBe('RUNNING');
    expect(await again.getJob('refused')).toBeUndefined();
    expect(await again.getJob('after')).toBeDefined();
    expect(Buffer.concat((await again.readOutput('acked', 0)).map((c) => c.data)).toString()).toBe('hello world');
  });

  it('refuses to start with less free space than asked for, in one line naming the flag', async () => {
    const dir = tempDir();
    const store = new SqliteStore({ dataDir: dir, logger: testLogger(), minFreeSpaceBytes: 2 ** 60 });
    const error = await store.open().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnusableError);
    expect((error as Error).message).toMatch(
      new RegExp(
        `^${dir}: only \\S+ free on its file system, less than --min-free-space \\(\\S+\\); free some space, or lower --min-free-space$`,
      ),
    );
    expect(existsSync(join(dir, DATABASE_FILE))).toBe(false);
  });
});

describe('a data dir changed under the store', () => {
  it('deleted: the next submit is refused at once, the database is written back, and nothing acknowledged is lost', async () => {
    const dir = tempDir();
    const clock = new FakeClock();
    const store = await openStore(dir, clock);
    for (let i = 1; i <= 3; i += 1) store.putJob(makeJob({ idempotencyKey: `k${i}` }, { id: `before-${i}`, seq: i }));
    await store.flush();
    store.appendOutput('before-1', chunk(0, 'kept'));

    rmSync(dir, { recursive: true, force: true });
    store.putJob(makeJob({}, { id: 'refused', seq: 4 }));
    await expect(store.flush()).rejects.toThrow(
      /dist-exec\.db was deleted while the master ran; the master writes its database back/,
    );
    expect(store.problem).toMatch(/was deleted/);

    clock.advance(250);
    expect(store.problem).toBeNull();
    expect(existsSync(join(dir, DATABASE_FILE))).toBe(true);
    // The lock is held again: a second master is refused.
    await expect(new SqliteStore({ dataDir: dir, logger: testLogger(), minFreeSpaceBytes: 0 }).open()).rejects.toThrow(
      /in use by another running master/,
    );
    store.putJob(makeJob({}, { id: 'after', seq: 5 }));
    await store.flush();

    const again = await reopened(store, dir);
    for (let i = 1; i <= 3; i += 1) expect((await again.getJob(`before-${i}`))?.spec.idempotencyKey).toBe(`k${i}`);
    expect(await again.getJob('refused')).toBeUndefined();
    expect(await again.getJob('after')).toBeDefined();
    expect(Buffer.concat((await again.readOutput('before-1', 0)).map((c) => c.data)).toString()).toBe('kept');
  });

  it('deleted while nothing is written: noticed within a second, and so is a WAL deleted alone', async () => {
    const dir = tempDir();
    const clock = new FakeClock();
    const store = await openStore(dir, clock);
    store.putJob(makeJob({}, { id: 'a', seq: 1 }));
    await store.flush();
    rmSync(join(dir, `${DATABASE_FILE}-wal`));
    clock.advance(1000);
    expect(store.problem).toMatch(/dist-exec\.db-wal was deleted/);
    clock.advance(250);
    expect(store.problem).toBeNull();
    store.putJob(makeJob({}, { id: 'b', seq: 2 }));
    await store.flush();
    const again = await reopened(store, dir);
    expect(await again.getJob('a')).toBeDefined();
    expect(await again.getJob('b')).toBeDefined();
  });

  it('replaced by another file, or taken by another master: fails for good, and says to restart', async () => {
    const dir = tempDir();
    const clock = new FakeClock();
    const store = await openStore(dir, clock);
    store.putJob(makeJob({}, { id: 'a', seq: 1 }));
    await store.flush();
    copyFileSync(join(dir, DATABASE_FILE), join(dir, 'restored.db'));
    renameSync(join(dir, 'restored.db'), join(dir, DATABASE_FILE));
    store.putJob(makeJob({}, { id: 'b', seq: 2 }));
    await expect(store.flush()).rejects.toThrow(/dist-exec\.db was replaced by another file.*restart the master/);
    clock.advance(60_000);
    expect(store.problem).toMatch(/replaced/);
    store.putJob({ ...makeJob({}, { id: 'a', seq: 1 }), state: 'RUNNING' });
    await expect(store.flush()).rejects.toThrow(/replaced/);

    // Deleted, and another master started on the data dir before the first could write it back.
    const other = tempDir();
    const first = await openStore(other, clock);
    rmSync(other, { recursive: true, force: true });
    clock.advance(1000);
    expect(first.problem).toMatch(/was deleted/);
    const second = await openStore(other, new FakeClock());
    clock.advance(250);
    expect(first.problem).toMatch(/^.*(another master took the data dir|replaced by another file).*; .*restart/);
    second.putJob(makeJob({}, { id: 'c', seq: 1 }));
    await second.flush();
  });
});
