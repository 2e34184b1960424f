import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { newJobId, NO_TOKEN_LIMITS, type Job, type OutputChunk } from '@dist-exec/core';
import { MemoryStore, PostgresStore, SCAN_CHUNK, searchJobs, SqliteStore, type Store } from '@dist-exec/master';
import { postgresAvailable, startTestPostgres, testLogger, until, type TestPostgres } from '@dist-exec/testing';
import { makeJob } from './helpers.js';

/**
 * The Store contract, run against every store: what the master relies on
 * (group commit, reads that see unflushed writes, recovery, a failed commit
 * acknowledging nothing, paging, history GC) holds for each alike.
 */

const dirs: string[] = [];
const open: Store[] = [];
let postgres: TestPostgres | null = null;
const withPostgres = postgresAvailable();

beforeAll(async () => {
  if (withPostgres) postgres = await startTestPostgres();
});

afterAll(async () => {
  await postgres?.destroy();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dist-exec-store-'));
  dirs.push(dir);
  return dir;
}

type DurableStore = Store & { readonly commits: number };

/** A store kind that keeps its data somewhere it can be opened again. */
interface DurableKind {
  name: string;
  available: boolean;
  /** A new, empty place for a store: a data dir, a database. */
  place(): Promise<string>;
  create(place: string, lazyCommitMs?: number): DurableStore;
  /** What a second store on an open one's place is told. */
  inUse: RegExp;
  /** What a flush is told after a commit failed for good. */
  cannotWrite: RegExp;
}

const DURABLE: DurableKind[] = [
  {
    name: 'sqlite',
    available: true,
    place: async () => tempDir(),
    create: (dataDir, lazyCommitMs) => new SqliteStore({ dataDir, logger: testLogger(), lazyCommitMs }),
    inUse: /dist-exec\.lock: the data dir is in use by another running master/,
    cannotWrite: /cannot write to .*dist-exec\.db.*restart the master/,
  },
  {
    name: 'postgres',
    available: withPostgres,
    place: async () => (postgres as TestPostgres).createDatabase(),
    create: (url, lazyCommitMs) => new PostgresStore({ url, logger: testLogger(), lazyCommitMs }),
    inUse: /^postgres:\/\/postgres@127\.0\.0\.1:\d+\/test_\w+: the database is in use by another running master/,
    cannotWrite: /cannot write to postgres:\/\/postgres@127\.0\.0\.1:\d+\/test_\w+: .*restart the master/,
  },
];

afterEach(async () => {
  for (const store of open.splice(0)) await store.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function finished(job: Job, state: 'COMPLETED' | 'FAILED', finishedAtMs: number): Job {
  return { ...job, state, finishedAtMs };
}

function chunk(
  offset: number,
  text: string | Uint8Array,
  stream: 'stdout' | 'stderr' = 'stdout',
  attempt = 1,
): OutputChunk {
  return {
    offset,
    stream,
    attempt,
    timestampMs: 1000 + offset,
    data: typeof text === 'string' ? new Uint8Array(Buffer.from(text)) : text,
  };
}

for (const kind of DURABLE) {
  async function openStore(
    place: string,
    lazyCommitMs?: number,
  ): Promise<{ store: DurableStore; recovered: Awaited<ReturnType<Store['open']>> }> {
    const store = kind.create(place, lazyCommitMs);
    const recovered = await store.open();
    open.push(store);
    return { store, recovered };
  }
  const newPlace = kind.place;

  describe.skipIf(!kind.available)(`${kind.name} store: durability and group commit`, () => {
    it('keeps counts by state through state changes, history GC and a reopen', async () => {
      const place = await newPlace();
      const { store } = await openStore(place);
      // 30 jobs: all PENDING, then 20 RUNNING, then of those 12 COMPLETED and 8 FAILED.
      const jobs = Array.from({ length: 30 }, (_, i) => makeJob({}, { id: `c-${i + 1}`, seq: i + 1 }));
      for (const job of jobs) store.putJob(job);
      await store.flush();
      for (const job of jobs.slice(0, 20)) store.putJob({ ...job, state: 'RUNNING' });
      await store.flush();
      jobs.slice(0, 20).forEach((job, i) => store.putJob(finished(job, i < 12 ? 'COMPLETED' : 'FAILED', 100 + i)));
      await store.flush();
      const counts = async (s: Store): Promise<number[]> =>
        Promise.all(
          [[], ['PENDING'], ['RUNNING'], ['COMPLETED'], ['FAILED'], ['COMPLETED', 'FAILED']].map((states) =>
            s.countJobs(states as never),
          ),
        );
      expect(await counts(store)).toEqual([30, 10, 0, 12, 8, 20]);
      // The 5 that finished first go (c-1..c-5, all COMPLETED), over two batches.
      expect(await store.deleteFinishedJobs({ finishedBeforeMs: -Infinity, keepMax: 15, limit: 3 })).toBe(3);
      expect(await store.deleteFinishedJobs({ finishedBeforeMs: -Infinity, keepMax: 15, limit: 3 })).toBe(2);
      expect(await store.deleteFinishedJobs({ finishedBeforeMs: -Infinity, keepMax: 15, limit: 3 })).toBe(0);
      expect(await counts(store)).toEqual([25, 10, 0, 7, 8, 15]);
      expect((await store.listJobs({ states: ['FAILED', 'PENDING'], pageSize: 5, pageToken: '' })).totalCount).toBe(18);
      await store.close();
      const { store: again } = await openStore(place);
      expect(await counts(again)).toEqual([25, 10, 0, 7, 8, 15]);
    });

    it('keeps jobs, bytes and output over a reopen', async () => {
      const dir = await newPlace();
      const { store } = await openStore(dir);
      const stdin = new Uint8Array([0, 255, 10, 13, 128]);
      const job = makeJob(
        { command: 'cat', stdin, idempotencyKey: 'k-1', labels: { team: 'a' } },
        { id: 'job-a', seq: 1, createdAtMs: 5 },
      );
      store.putJob(job);
      const binary = new Uint8Array([0xff, 0x00, 0xfe, 0x80]);
      store.appendOutput(job.id, chunk(0, 'hello '));
      store.appendOutput(job.id, chunk(6, binary, 'stderr'));
      await store.flush();
      await store.close();

      const { store: again, recovered } = await openStore(dir);
      expect(recovered.activeJobs.map((j) => j.id)).toEqual(['job-a']);
      expect(recovered.nextSeq).toBe(2);
      const back = await again.getJob('job-a');
      expect(back?.spec.stdin).toEqual(stdin);
      expect(back?.spec.labels).toEqual({ team: 'a' });
      expect((await again.findJobByIdempotencyKey('k-1'))?.id).toBe('job-a');
      // The row was written before any output: recovery takes the length from the log.
      expect(recovered.activeJobs[0]?.outputLength).toBe(10);
      const output = await again.readOutput('job-a', 0);
      expect(output.map((c) => [c.offset, c.stream, Buffer.from(c.data).toString('hex')])).toEqual([
        [0, 'stdout', Buffer.from('hello ').toString('hex')],
        [6, 'stderr', 'ff00fe80'],
      ]);
      // From the middle of a chunk, the first one is trimmed to start there.
      expect(
        (await again.readOutput('job-a', 3)).map((c) => [c.offset, Buffer.from(c.data).toString('latin1')]),
      ).toEqual([
        [3, 'lo '],
        [6, '\xff\x00\xfe\x80'],
      ]);
      expect(await again.readOutput('job-a', 10)).toEqual([]);
    });

    it('reads a large (packed) chunk back from any offset, and recovery knows where a log of them ends', async () => {
      const dir = await newPlace();
      const { store } = await openStore(dir);
      const log = Buffer.from('2026-12-06T15:00:00Z INFO processed item 42 of batch 7\n'.repeat(100)).subarray(0, 5000);
      store.putJob(makeJob({}, { id: 'chatty', seq: 1, state: 'RUNNING' }));
      store.appendOutput('chatty', chunk(0, 'hello '));
      store.appendOutput('chatty', chunk(6, new Uint8Array(log)));
      await store.flush();
      await store.close();
      const { store: again, recovered } = await openStore(dir);
      expect(recovered.activeJobs[0]?.outputLength).toBe(5006);
      const tail = await again.readOutput('chatty', 4000);
      expect(tail.map((c) => [c.offset, Buffer.from(c.data).toString()])).toEqual([
        [4000, log.subarray(3994).toString()],
      ]);
      const whole = await again.readOutput('chatty', 0);
      expect(Buffer.concat(whole.map((c) => c.data)).toString()).toBe(`hello ${log.toString()}`);
    });

    it('commits every write of one event-loop turn in one transaction, and reads see unflushed writes', async () => {
      const { store } = await openStore(await newPlace());
      const before = store.commits;
      const jobs = Array.from({ length: 200 }, (_, i) => makeJob({}, { id: `burst-${i}`, seq: i + 1 }));
      const flushes = jobs.map((job) => {
        store.putJob(job);
        return store.flush();
      });
      expect((await store.getJob('burst-7'))?.id).toBe('burst-7');
      await Promise.all(flushes);
      expect(store.commits - before).toBe(1);
      expect(await store.countJobs(['PENDING'])).toBe(200);
      // A later change to a job replaces its row; reads see it before it is committed, and do not commit it (an fsync).
      store.putJob(finished(jobs[0] as Job, 'COMPLETED', 10));
      expect(await store.countJobs(['COMPLETED'])).toBe(1);
      expect(await store.countJobs(['PENDING'])).toBe(199);
      const page = await store.listJobs({ states: ['COMPLETED'], pageSize: 10, pageToken: '' });
      expect(page.jobs.map((job) => job.id)).toEqual(['burst-0']);
      expect(page.totalCount).toBe(1);
      store.putJob(makeJob({}, { id: 'burst-new', seq: 201 }));
      expect((await store.listJobs({ states: [], pageSize: 2, pageToken: '' })).jobs.map((job) => job.id)).toEqual([
        'burst-new',
        'burst-199',
      ]);
      // SQLite's reads lay the buffered writes over the rows; PostgreSQL's (another connection) commit them first.
      if (kind.name === 'sqlite') expect(store.commits - before).toBe(1);
      await store.flush();
      if (kind.name === 'sqlite') expect(store.commits - before).toBe(2);
    });

    it('commits writes nobody awaits with the next flush, or on its own after lazyCommitMs', async () => {
      const { store } = await openStore(await newPlace(), 3_600_000);
      const before = store.commits;
      for (let i = 0; i < 5; i += 1) {
        store.putJob(makeJob({}, { id: `lazy-${i}`, seq: i + 1 }));
        store.appendOutput(`lazy-${i}`, chunk(0, `out ${i}`));
        await new Promise((resolve) => setImmediate(resolve));
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(store.commits).toBe(before);
      store.putJob(makeJob({}, { id: 'awaited', seq: 6 }));
      await store.flush();
      expect(store.commits - before).toBe(1);
      await store.close();

      const dir = await newPlace();
      const { store: soon } = await openStore(dir, 20);
      soon.putJob(makeJob({}, { id: 'on-its-own', seq: 1 }));
      soon.appendOutput('on-its-own', chunk(0, 'kept'));
      await until(() => soon.commits === 1);
      // Committed without any flush: the store reopened has it.
      await soon.close();
      const { store: reopened, recovered } = await openStore(dir);
      expect(recovered.activeJobs.map((j) => j.id)).toEqual(['on-its-own']);
      expect((await reopened.readOutput('on-its-own', 0)).map((c) => Buffer.from(c.data).toString())).toEqual(['kept']);
    });

    it('whenDurable asks for no commit: it resolves with the next one, a flush or the lazy commit', async () => {
      const { store } = await openStore(await newPlace(), 3_600_000);
      const before = store.commits;
      store.putJob(makeJob({}, { id: 'acked', seq: 1 }));
      let durable = false;
      const waiting = store.whenDurable().then(() => (durable = true));
      for (let i = 0; i < 3; i += 1) await new Promise((resolve) => setImmediate(resolve));
      expect(durable).toBe(false);
      expect(store.commits).toBe(before);
      store.putJob(makeJob({}, { id: 'awaited', seq: 2 }));
      await store.flush();
      await waiting;
      expect(store.commits - before).toBe(1);
      // Nothing buffered: nothing to wait for.
      await store.whenDurable();
      expect(store.commits - before).toBe(1);
      await store.close();
    });

    it('recovers only PENDING and RUNNING jobs, in submit order, and never reuses a submit number', async () => {
      const dir = await newPlace();
      const { store } = await openStore(dir);
      store.putJob(makeJob({}, { id: 'j3', seq: 3 }));
      store.putJob(makeJob({}, { id: 'j1', seq: 1, state: 'RUNNING' }));
      store.putJob(finished(makeJob({}, { id: 'j2', seq: 2 }), 'COMPLETED', 100));
      store.putJob(finished(makeJob({}, { id: 'j4', seq: 4 }), 'FAILED', 100));
      await store.flush();
      expect(await store.deleteFinishedJobs({ finishedBeforeMs: 200, keepMax: Infinity, limit: 10 })).toBe(2);
      await store.close();
      const { recovered } = await openStore(dir);
      expect(recovered.activeJobs.map((j) => [j.id, j.state])).toEqual([
        ['j1', 'RUNNING'],
        ['j3', 'PENDING'],
      ]);
      expect(recovered.nextSeq).toBe(5);
    });

    it('keeps tokens (hashes only, with their limits) and node claims over a reopen, with the latest change of each', async () => {
      const dir = await newPlace();
      const { store } = await openStore(dir);
      const token = {
        name: 'ci',
        role: 'submit' as const,
        hash: 'a'.repeat(64),
        createdAtMs: 10,
        expiresAtMs: null,
        revokedAtMs: null,
        lastUsedAtMs: null,
        createdBy: 'admin',
        limits: {
          maxPending: 10_000,
          maxRunning: 64,
          rateLimit: { count: 50, periodMs: 1000, burst: 100 },
          allowCommands: ['make .*'],
          denyCommands: ['--force', 'rm -rf'],
        },
      };
      const old = {
        ...token,
        name: 'old',
        hash: 'b'.repeat(64),
        createdAtMs: 5,
        expiresAtMs: 99,
        limits: NO_TOKEN_LIMITS,
      };
      store.putToken(token);
      store.putToken(old);
      store.putNodeClaim({ nodeId: 'n-1', secretHash: 'c'.repeat(64), tokenName: 'workers', claimedAtMs: 20 });
      store.putNodeClaim({ nodeId: 'n-2', secretHash: 'd'.repeat(64), tokenName: 'workers', claimedAtMs: 21 });
      await store.flush();
      // Used, then revoked; one node leaves.
      store.putToken({ ...token, lastUsedAtMs: 30, revokedAtMs: 40 });
      store.deleteNodeClaim('n-2');
      expect((await store.loadAuth()).nodeClaims.map((c) => c.nodeId)).toEqual(['n-1']);
      await store.close();

      const { store: again } = await openStore(dir);
      const auth = await again.loadAuth();
      expect(auth.tokens).toEqual([old, { ...token, lastUsedAtMs: 30, revokedAtMs: 40 }]);
      expect(auth.nodeClaims).toEqual([
        { nodeId: 'n-1', secretHash: 'c'.repeat(64), tokenName: 'workers', claimedAtMs: 20 },
      ]);
    });

    it('refuses a second store on the same data dir while the first is open', async () => {
      const dir = await newPlace();
      const { store } = await openStore(dir);
      const second = kind.create(dir);
      await expect(second.open()).rejects.toThrow(kind.inUse);
      await store.close();
      await expect(second.open()).resolves.toMatchObject({ nextSeq: 1 });
      await second.close();
    });

    it('fails every flush after a failed commit, and acknowledges nothing more', async () => {
      const { store } = await openStore(await newPlace());
      // Two jobs with one submit number cannot both be stored: the commit fails.
      store.putJob(makeJob({}, { id: 'a', seq: 1 }));
      store.putJob(makeJob({ idempotencyKey: 'dup' }, { id: 'b', seq: 2 }));
      store.putJob(makeJob({ idempotencyKey: 'dup' }, { id: 'c', seq: 3 }));
      await expect(store.flush()).rejects.toThrow(kind.cannotWrite);
      store.putJob(makeJob({}, { id: 'd', seq: 4 }));
      await expect(store.flush()).rejects.toThrow(/restart the master/);
      expect(await store.getJob('a')).toBeUndefined();
    });
  });
}

const ALL: { name: string; available: boolean; make(): Promise<Store> }[] = [
  { name: 'memory', available: true, make: async () => new MemoryStore() },
  ...DURABLE.map((kind) => ({
    name: kind.name,
    available: kind.available,
    async make(): Promise<Store> {
      const store = kind.create(await kind.place());
      await store.open();
      open.push(store);
      return store;
    },
  })),
];

for (const { name, available, make } of ALL) {
  describe.skipIf(!available)(`${name} store: listing and history`, () => defineListingTests(make));
}

function defineListingTests(make: () => Promise<Store>): void {
  it('counts jobs by state when the master changes its job objects in place', async () => {
    const store = await make();
    const jobs = Array.from({ length: 6 }, (_, i) => makeJob({}, { id: `m-${i + 1}`, seq: i + 1 }));
    for (const job of jobs) store.putJob(job);
    for (const job of jobs.slice(0, 4)) {
      job.state = 'RUNNING';
      store.putJob(job);
    }
    Object.assign(jobs[0] as Job, { state: 'COMPLETED', finishedAtMs: 10 });
    store.putJob(jobs[0] as Job);
    store.putJob(jobs[0] as Job);
    await store.flush();
    expect(await store.countJobs(['PENDING'])).toBe(2);
    expect(await store.countJobs(['RUNNING'])).toBe(3);
    expect(await store.countJobs(['COMPLETED', 'RUNNING'])).toBe(4);
    expect(await store.deleteFinishedJobs({ finishedBeforeMs: 11, keepMax: Infinity, limit: 10 })).toBe(1);
    expect(await store.countJobs(['COMPLETED'])).toBe(0);
    expect((await store.listJobs({ states: [], pageSize: 2, pageToken: '' })).totalCount).toBe(5);
  });

  it('finds jobs by idempotency key, one or many at once, whether written yet or not', async () => {
    const store = await make();
    store.putJob(makeJob({ idempotencyKey: 'stored-1' }, { id: 'k-1', seq: 1 }));
    store.putJob(makeJob({ idempotencyKey: 'stored-2' }, { id: 'k-2', seq: 2 }));
    store.putJob(makeJob({}, { id: 'k-3', seq: 3 }));
    await store.flush();
    store.putJob(makeJob({ idempotencyKey: 'buffered' }, { id: 'k-4', seq: 4 }));
    expect((await store.findJobByIdempotencyKey('stored-2'))?.id).toBe('k-2');
    expect((await store.findJobByIdempotencyKey('buffered'))?.id).toBe('k-4');
    expect(await store.findJobByIdempotencyKey('nobody')).toBeUndefined();
    const many = await store.findJobsByIdempotencyKeys?.(['stored-1', 'nobody', 'buffered', 'stored-2']);
    expect(many && [...many].map(([key, job]) => [key, job.id]).sort()).toEqual([
      ['buffered', 'k-4'],
      ['stored-1', 'k-1'],
      ['stored-2', 'k-2'],
    ]);
    await store.flush();
  });

  it('finds jobs by a start or an end of their id (short ids), newest first, written yet or not', async () => {
    const store = await make();
    const ids = Array.from({ length: 30 }, (_, i) => newJobId(1_750_000_000_000 + i));
    ids.forEach((id, i) => store.putJob(makeJob({}, { id, seq: i + 1 })));
    await store.flush();
    const late = newJobId(1_750_000_000_100);
    store.putJob(makeJob({}, { id: late, seq: 31 }));
    const target = ids[7] as string;
    // The end the dashboard shows, and the whole last group.
    expect((await store.findJobsByIdFragment(target.slice(-6), 10)).map((j) => j.id)).toEqual([target]);
    expect((await store.findJobsByIdFragment(target.slice(-14), 10)).map((j) => j.id)).toEqual([target]);
    // A start (the submit time) shared by every job: newest first, at most the limit, the unwritten one too.
    const shared = (await store.findJobsByIdFragment(ids[0]!.slice(0, 8), 5)).map((j) => j.id);
    expect(shared).toEqual([late, ...ids.slice(-4).reverse()]);
    expect((await store.findJobsByIdFragment(target.slice(0, 30), 10)).map((j) => j.id)).toEqual([target]);
    expect(await store.findJobsByIdFragment('ffffffff', 10)).toEqual([]);
    await store.flush();
  });

  it('pages newest first with a state filter and a total, without repeats', async () => {
    const store = await make();
    for (let i = 1; i <= 25; i += 1) {
      const job = makeJob({}, { id: `p-${i}`, seq: i });
      store.putJob(i % 3 === 0 ? finished(job, 'FAILED', i) : job);
    }
    await store.flush();
    const seen: string[] = [];
    let token = '';
    do {
      const page = await store.listJobs({ states: [], pageSize: 10, pageToken: token });
      expect(page.totalCount).toBe(25);
      seen.push(...page.jobs.map((j) => j.id));
      token = page.nextPageToken;
    } while (token);
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => `p-${25 - i}`));
    const failed = await store.listJobs({ states: ['FAILED'], pageSize: 3, pageToken: '' });
    expect(failed.jobs.map((j) => j.id)).toEqual(['p-24', 'p-21', 'p-18']);
    expect(failed.totalCount).toBe(8);
    const rest = await store.listJobs({ states: ['FAILED'], pageSize: 100, pageToken: failed.nextPageToken });
    expect(rest.jobs.map((j) => j.id)).toEqual(['p-15', 'p-12', 'p-9', 'p-6', 'p-3']);
    expect(rest.nextPageToken).toBe('');
  });

  it('searches by label, command words and state as a bounded scan, paging newest first', async () => {
    const store = await make();
    // More than one read of the scan (SCAN_CHUNK), so the search pages through the store itself.
    const count = SCAN_CHUNK * 2 + 100;
    for (let i = 1; i <= count; i += 1) {
      const job = makeJob(
        { command: i % 7 === 0 ? `render Frame ${i}` : 'true', labels: i % 10 === 0 ? { team: 'web' } : {} },
        { id: `s-${i}`, seq: i },
      );
      store.putJob(i % 20 === 0 ? finished(job, 'FAILED', i) : job);
    }
    await store.flush();
    const search = { states: [], text: '', labels: {}, nodeId: '', pageToken: '' };
    const web: string[] = [];
    let token = '';
    do {
      const page = await searchJobs(store, { ...search, labels: { team: 'web' }, pageSize: 40, pageToken: token });
      expect(page.truncated).toBe(false);
      web.push(...page.jobs.map((j) => j.id));
      token = page.nextPageToken;
    } while (token);
    expect(web).toEqual(Array.from({ length: count / 10 }, (_, i) => `s-${count - i * 10}`));
    const frame = await searchJobs(store, { ...search, text: 'frame 105', pageSize: 10 });
    expect(frame.jobs.map((j) => j.id)).toEqual([`s-1057`, 's-1050', 's-105']);
    const failedWeb = await searchJobs(store, { ...search, states: ['FAILED'], labels: { team: 'web' }, pageSize: 3 });
    expect(failedWeb.jobs.map((j) => j.id)).toEqual([`s-${count}`, `s-${count - 20}`, `s-${count - 40}`]);
    // Nothing matches: the scan stops where it was told to, and says where to go on from.
    const first = await searchJobs(store, { ...search, labels: { team: 'none' }, pageSize: 10, maxScanned: 600 });
    expect(first).toMatchObject({ jobs: [], scanned: 600, truncated: true });
    const rest = await searchJobs(store, {
      ...search,
      labels: { team: 'none' },
      pageSize: 10,
      pageToken: first.nextPageToken,
    });
    expect(rest).toMatchObject({ jobs: [], scanned: count - 600, truncated: false, nextPageToken: '' });
  });

  it('deletes finished jobs by age and by count, oldest first, in batches, never active ones', async () => {
    const store = await make();
    // p-1..p-10 finished at 100..1000; p-11 and p-12 still pending.
    for (let i = 1; i <= 12; i += 1) {
      const job = makeJob({}, { id: `h-${i}`, seq: i });
      store.putJob(i <= 10 ? finished(job, 'COMPLETED', i * 100) : job);
      store.appendOutput(job.id, chunk(0, `out-${i}`));
    }
    await store.flush();
    // By age: ended before 350 → h-1, h-2, h-3; at most 2 per call.
    expect(await store.deleteFinishedJobs({ finishedBeforeMs: 350, keepMax: Infinity, limit: 2 })).toBe(2);
    expect(await store.deleteFinishedJobs({ finishedBeforeMs: 350, keepMax: Infinity, limit: 2 })).toBe(1);
    expect(await store.getJob('h-3')).toBeUndefined();
    expect(await store.readOutput('h-3', 0)).toEqual([]);
    expect(await store.getJob('h-4')).toBeDefined();
    // By count: keep the 4 that finished last.
    expect(await store.deleteFinishedJobs({ finishedBeforeMs: -Infinity, keepMax: 4, limit: 100 })).toBe(3);
    const left = await store.listJobs({ states: [], pageSize: 100, pageToken: '' });
    expect(left.jobs.map((j) => j.id)).toEqual(['h-12', 'h-11', 'h-10', 'h-9', 'h-8', 'h-7']);
    expect(await store.deleteFinishedJobs({ finishedBeforeMs: Number.MAX_SAFE_INTEGER, keepMax: 0, limit: 100 })).toBe(
      4,
    );
    expect(await store.countJobs([])).toBe(2);
    expect(Buffer.from((await store.readOutput('h-12', 0))[0]?.data ?? []).toString()).toBe('out-12');
  });
}
