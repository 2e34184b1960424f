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
    const output = new Uint8Array(4000).fill(0x61);
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
      const batch = await again.deleteFinishedJobs({ finishedBeforeMs: -Infinity, keepMax: 100, limit: 1000 });
      if (batch === 0) break;
      deleted += batch;
    }
    expect(deleted).toBe(1900);
    await again.close();
    // The WAL is checkpointed into the file at close, which then ends where its last used page does.
    expect(statSync(join(dir, DATABASE_FILE)).size).toBeLessThan(full / 2);
  });
});
