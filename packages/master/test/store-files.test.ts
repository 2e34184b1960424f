import { closeSync, mkdtempSync, openSync, rmSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DATABASE_FILE,
  latestVersion,
  migrate,
  MIGRATIONS,
  openDatabase,
  schemaVersion,
  SqliteStore,
  StoreUnusableError,
  type Migration,
} from '@dist-exec/master';
import { testLogger } from '@dist-exec/testing';
import { makeJob } from './helpers.js';

const dirs: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dist-exec-files-'));
  dirs.push(dir);
  return dir;
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A store file with `jobs` jobs in it, closed. */
async function storeWithJobs(dir: string, jobs: number): Promise<string> {
  const store = new SqliteStore({ dataDir: dir, logger: testLogger() });
  await store.open();
  for (let i = 1; i <= jobs; i += 1)
    store.putJob(makeJob({ command: `echo ${'x'.repeat(300)} ${i}` }, { id: `f-${i}`, seq: i }));
  await store.flush();
  await store.close();
  return join(dir, DATABASE_FILE);
}

async function openError(dir: string): Promise<StoreUnusableError> {
  const store = new SqliteStore({ dataDir: dir, logger: testLogger() });
  const error = await store.open().then(
    () => null,
    (e: unknown) => e,
  );
  await store.close();
  expect(error).toBeInstanceOf(StoreUnusableError);
  const unusable = error as StoreUnusableError;
  // One line that names the file.
  expect(unusable.message).not.toContain('\n');
  expect(unusable.message.startsWith(unusable.file)).toBe(true);
  return unusable;
}

describe('migrations', () => {
  const latest = latestVersion(MIGRATIONS);
  const v2: Migration = {
    version: latest + 1,
    description: 'a column',
    up: (db) => db.exec('ALTER TABLE jobs ADD COLUMN note TEXT'),
  };

  it('creates the schema on a new file and upgrades an older one step by step', () => {
    const dir = tempDir();
    // A store from before tokens (version 1) gets its tokens and node claims tables.
    const old = openDatabase(dir, { migrations: MIGRATIONS.slice(0, 1) });
    expect(old.created).toBe(true);
    expect(old.migrated).toEqual([1]);
    old.db.close();
    old.lock.close();
    const first = openDatabase(dir, { migrations: MIGRATIONS });
    expect(first.migrated).toEqual(MIGRATIONS.slice(1).map((m) => m.version));
    expect(first.db.prepare('SELECT count(*) AS n FROM tokens').get()).toEqual({ n: 0 });
    expect(first.db.prepare('SELECT count(*) AS n FROM node_claims').get()).toEqual({ n: 0 });
    first.db.close();
    first.lock.close();
    const second = openDatabase(dir, { migrations: [...MIGRATIONS, v2] });
    expect(second.created).toBe(false);
    expect(second.migrated).toEqual([latest + 1]);
    expect(schemaVersion(second.db)).toBe(latest + 1);
    expect(second.db.prepare('SELECT note FROM jobs').all()).toEqual([]);
    second.db.close();
    second.lock.close();
    // Nothing left to do the next time.
    const third = openDatabase(dir, { migrations: [...MIGRATIONS, v2] });
    expect(third.migrated).toEqual([]);
    third.db.close();
    third.lock.close();
  });

  it('leaves the file at the last completed version when a step fails', () => {
    const db = new Database(':memory:');
    const broken: Migration = {
      version: latest + 2,
      description: 'fails half way',
      up: (d) => {
        d.exec('CREATE TABLE half_done (x)');
        throw new Error('boom');
      },
    };
    expect(() => migrate(db, [...MIGRATIONS, v2, broken])).toThrow('boom');
    expect(schemaVersion(db)).toBe(latest + 1);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'half_done'").all()).toEqual([]);
    db.close();
  });

  it('refuses a file from a newer schema, and leaves it as it was', async () => {
    const dir = tempDir();
    const file = await storeWithJobs(dir, 3);
    const db = new Database(file);
    db.pragma('user_version = 7');
    db.close();
    const error = await openError(dir);
    expect(error.file).toBe(file);
    expect(error.message).toMatch(new RegExp(`schema version 7 is newer than this master understands \\(${latest}\\)`));
    const after = new Database(file);
    expect(schemaVersion(after)).toBe(7);
    expect((after.prepare('SELECT count(*) AS n FROM jobs').get() as { n: number }).n).toBe(3);
    after.close();
  });
});

describe('a store file that cannot be used', () => {
  it('refuses a file that is not a database', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, DATABASE_FILE), 'these are not the jobs you are looking for\n'.repeat(200));
    expect((await openError(dir)).message).toMatch(
      /dist-exec\.db: not a database, or its header is corrupt .* move it away to start with an empty store/,
    );
  });

  it('refuses a truncated file', async () => {
    const dir = tempDir();
    const file = await storeWithJobs(dir, 2000);
    truncateSync(file, Math.floor(statSync(file).size / 2));
    expect((await openError(dir)).message).toMatch(/the database is corrupt/);
  });

  it('refuses a file with a damaged page in the middle', async () => {
    const dir = tempDir();
    const file = await storeWithJobs(dir, 2000);
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.alloc(4096, 0x41), 0, 4096, 8192);
    closeSync(fd);
    expect((await openError(dir)).message).toMatch(/the database is corrupt \(.+\)/);
  });

  it("refuses another program's database instead of starting empty beside its data", async () => {
    const dir = tempDir();
    const db = new Database(join(dir, DATABASE_FILE));
    db.exec('CREATE TABLE invoices (n); INSERT INTO invoices VALUES (1)');
    db.close();
    expect((await openError(dir)).message).toMatch(/not a dist-exec store/);
  });

  it('refuses a data dir that is a file, or lies under one', async () => {
    const dir = tempDir();
    const file = join(dir, 'plain-file');
    writeFileSync(file, 'x');
    expect((await openError(file)).message).toMatch(/plain-file: the data dir is not a directory/);
    expect((await openError(join(file, 'sub'))).message).toMatch(
      /plain-file\/sub: a part of the data dir path is a file/,
    );
  });
});
