import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { Job } from '@dist-exec/core';
import { APPLICATION_ID, DATABASE_FILE, MIGRATIONS, SqliteStore } from '@dist-exec/master';
import { testLogger } from '@dist-exec/testing';
import { makeJob } from './helpers.js';

/**
 * What keeps the SQLite store small and fast over a long history (issue 19),
 * on real files: finished jobs' rows compacted, old rows still read, the
 * counts of an older file filled by its migration, and the space history GC
 * frees given back to the file system.
 */

const dirs: string[] = [];
const stores: SqliteStore[] = [];

afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function newDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dist-exec-history-'));
  dirs.push(dir);
  return dir;
}

async function openStore(dataDir: string): Promise<SqliteStore> {
  const store = new SqliteStore({ dataDir, logger: testLogger() });
  await store.open();
  stores.push(store);
  return store;
}

function finishedJob(seq: number): Job {
  return makeJob(
    { command: '', argv: ['python3', '-m', 'etl.run', '--shard', String(seq % 50)], labels: { team: 'data' } },
    { id: `01938a2c-0000-7000-8000-${String(seq).padStart(12, '0')}`, seq, state: 'COMPLETED', finishedAtMs: seq },
  );
}

/** A FAILED job (exit code 3, stdin "hi") compacted by version 1 of job-compaction.ts. */
const V1_ROW =
  'AUPkMmOLRKNkPLnMEpbLLEnNXwWVJRn5ecagTJYLymQlOXpFpXnE5rNE92xbYvOaUklqYq6SlVJKYkmiEr0zHsxUn8zczBKE0aXFqUXQ4gKjqMRefsPTkzG2wtwYLZsSyqFY0r6BgSFGkjcwsKQoG2LPgaRYjlkbkBs8gyrnJWdiyXYA';

describe('sqlite store over a long history', () => {
  it("stores a finished job's row compacted, and still reads rows written as JSON text", async () => {
    const dir = newDir();
    const store = await openStore(dir);
    const done = finishedJob(1);
    const active = makeJob({}, { id: 'active', seq: 2 });
    store.putJob(done);
    store.putJob(active);
    await store.flush();
    await store.close();

    const db = new Database(join(dir, DATABASE_FILE));
    const rows = db.prepare('SELECT id, typeof(data) AS type, length(data) AS bytes FROM jobs ORDER BY seq').all();
    expect(rows).toEqual([
      { id: done.id, type: 'blob', bytes: expect.any(Number) },
      { id: 'active', type: 'text', bytes: expect.any(Number) },
    ]);
    const [compact, plain] = rows as { bytes: number }[];
    expect(compact?.bytes).toBeLessThan(200);
    expect(plain?.bytes).toBeGreaterThan(400);
    // A finished job as stores before compaction wrote it: JSON text.
    const legacy = { ...finishedJob(3), spec: { ...finishedJob(3).spec, stdin: { $bytes: '' } } };
    db.prepare('INSERT INTO jobs (seq, id, state, created_at_ms, finished_at_ms, data) VALUES (3, ?, ?, 0, 3, ?)').run(
      legacy.id,
      legacy.state,
      JSON.stringify(legacy),
    );
    db.close();

    const again = await openStore(dir);
    expect(await again.getJob(done.id)).toEqual(done);
    expect((await again.getJob(legacy.id))?.spec.argv).toEqual(legacy.spec.argv);
    const page = await again.listJobs({ states: ['COMPLETED'], pageSize: 10, pageToken: '' });
    expect(page.jobs.map((j) => j.id)).toEqual([legacy.id, done.id]);
    expect(page.totalCount).toBe(2);
  });

  it('reads back every field of a finished job, and rows of the first compacted format', async () => {
    const dir = newDir();
    const store = await openStore(dir);
    // Far from the usual values the compacted row leaves out: each must come back as it was.
    const http = makeJob(
      {
        type: 'http',
        command: '',
        env: { TOKEN: 'x' },
        stdin: new Uint8Array([1, 2]),
        priority: 5,
        http: {
          url: 'https://h/x',
          method: 'PUT',
          headers: { a: 'b' },
          body: new Uint8Array([7]),
          expectedStatus: [201],
        },
      },
      {
        id: '01938a2c-0000-7000-8000-000000000010',
        seq: 10,
        state: 'CANCELLED',
        reason: 'CANCELLED',
        exitCode: null,
        attempts: 2,
        finishedAtMs: 10,
        attemptHistory: [
          {
            number: 1,
            nodeId: 'w',
            dispatchedAtMs: 1,
            startedAtMs: null,
            finishedAtMs: null,
            succeeded: false,
            reason: 'WORKER_LOST',
            exitCode: null,
            error: 'gone',
            outputBase: 0,
            free: true,
          },
          {
            number: 2,
            nodeId: 'w',
            dispatchedAtMs: 2,
            startedAtMs: 3,
            finishedAtMs: 10,
            succeeded: false,
            reason: 'CANCELLED',
            exitCode: null,
            error: '',
            outputBase: 40,
            free: false,
            peakMemoryBytes: 9,
          },
        ],
        httpResult: { statusCode: 500, headers: { c: 'd' } },
        outputLength: 44,
        cancelledBy: 'alice',
      },
    );
    store.putJob(http);
    await store.flush();
    await store.close();
    // A finished job as the first compacted format (version 1, issue 19's first slice) stored it.
    const db = new Database(join(dir, DATABASE_FILE));
    db.prepare('INSERT INTO jobs (seq, id, state, created_at_ms, finished_at_ms, data) VALUES (9, ?, ?, 0, 9, ?)').run(
      '01938a2c-0000-7000-8000-000000000009',
      'FAILED',
      Buffer.from(V1_ROW, 'base64'),
    );
    db.close();

    const again = await openStore(dir);
    expect(await again.getJob(http.id)).toEqual(http);
    const old = await again.getJob('01938a2c-0000-7000-8000-000000000009');
    expect(old).toMatchObject({
      state: 'FAILED',
      exitCode: 3,
      submittedBy: 'ci',
      spec: { argv: ['python3', '-m', 'etl.run'] },
    });
    expect(old?.spec.stdin).toEqual(new Uint8Array(Buffer.from('hi')));
  });

  it('stores a large output chunk packed, a small one as it came, and reads chunks stored before packing', async () => {
    const dir = newDir();
    const store = await openStore(dir);
    const log = Buffer.from('INFO processed item 42 of batch 7 in 3 ms\n'.repeat(100));
    store.putJob(finishedJob(1));
    store.appendOutput(finishedJob(1).id, { offset: 0, stream: 'stdout', attempt: 1, timestampMs: 1, data: log });
    store.appendOutput(finishedJob(1).id, {
      offset: log.length,
      stream: 'stdout',
      attempt: 1,
      timestampMs: 2,
      data: Buffer.from('done'),
    });
    await store.flush();
    await store.close();
    const db = new Database(join(dir, DATABASE_FILE));
    expect(db.prepare('SELECT size, length(data) AS bytes FROM output ORDER BY offset').all()).toEqual([
      { size: log.length, bytes: expect.any(Number) },
      { size: null, bytes: 4 },
    ]);
    expect(
      (db.prepare('SELECT length(data) AS bytes FROM output WHERE offset = 0').get() as { bytes: number }).bytes,
    ).toBeLessThan(log.length / 4);
    // A chunk as a store before packing wrote it (no size).
    db.prepare(
      "INSERT INTO output (job_id, offset, stream, attempt, ts_ms, data) VALUES (?, ?, 'stderr', 1, 3, ?)",
    ).run(finishedJob(1).id, log.length + 4, Buffer.from('x'.repeat(2000)));
    db.close();
    const again = await openStore(dir);
    const chunks = await again.readOutput(finishedJob(1).id, 0);
    expect(Buffer.concat(chunks.map((c) => c.data)).toString()).toBe(`${log.toString()}done${'x'.repeat(2000)}`);
  });

  it('fills the counts of a file from before them from its rows when it is migrated', async () => {
    const dir = newDir();
    // A store file at schema version 2, as a master before counts left it.
    const db = new Database(join(dir, DATABASE_FILE));
    for (const step of MIGRATIONS.filter((m) => m.version <= 2)) step.up(db);
    db.pragma('user_version = 2');
    db.pragma(`application_id = ${APPLICATION_ID}`);
    const insert = db.prepare(
      'INSERT INTO jobs (seq, id, state, created_at_ms, finished_at_ms, data) VALUES (?, ?, ?, 0, ?, ?)',
    );
    for (let seq = 1; seq <= 5; seq += 1) {
      const job = seq <= 3 ? finishedJob(seq) : makeJob({}, { id: `p-${seq}`, seq });
      insert.run(
        seq,
        job.id,
        job.state,
        job.finishedAtMs,
        JSON.stringify({ ...job, spec: { ...job.spec, stdin: { $bytes: '' } } }),
      );
    }
    db.close();

    const store = await openStore(dir);
    expect(await store.countJobs(['COMPLETED'])).toBe(3);
    expect(await store.countJobs(['PENDING'])).toBe(2);
    store.putJob({ ...makeJob({}, { id: 'p-4', seq: 4 }), state: 'RUNNING' });
    expect(await store.countJobs(['PENDING', 'RUNNING'])).toBe(2);
    expect(await store.countJobs(['RUNNING'])).toBe(1);
    expect(await store.countJobs([])).toBe(5);
  });

  it('gives the space of deleted history back to the file system', async () => {
    const dir = newDir();
    const store = await openStore(dir);
    // Bytes deflate cannot shrink, so they are stored as they came (output-packing.ts).
    const output = new Uint8Array(randomBytes(4000));
    for (let seq = 1; seq <= 2000; seq += 1) {
      const job = finishedJob(seq);
      store.putJob(job);
      store.appendOutput(job.id, { offset: 0, stream: 'stdout', attempt: 1, timestampMs: seq, data: output });
    }
    await store.flush();
    await store.close();
    const full = statSync(join(dir, DATABASE_FILE)).size;
    expect(full).toBeGreaterThan(8 * 1024 * 1024);

    const again = await openStore(dir);
    let deleted = 0;
    for (;;) {
      // Small batches, as history GC makes them: each gives back a step of the freed pages.
      const batch = await again.deleteFinishedJobs({ finishedBeforeMs: -Infinity, keepMax: 100, limit: 100 });
      if (batch === 0) break;
      deleted += batch;
    }
    expect(deleted).toBe(1900);
    await again.close();
    // The WAL is checkpointed into the file at close, which then ends where its last used page does.
    expect(statSync(join(dir, DATABASE_FILE)).size).toBeLessThan(full / 2);
  });
});
