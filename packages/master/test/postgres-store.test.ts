import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { UnavailableError, type Job, type OutputChunk } from '@dist-exec/core';
import {
  compileMasterOptions,
  maskDatabaseUrl,
  POSTGRES_MIGRATIONS,
  PostgresStore,
  StoreUnusableError,
  type PostgresMigration,
  type PostgresStoreOptions,
} from '@dist-exec/master';
import {
  databaseName,
  freePort,
  postgresAvailable,
  startTestPostgres,
  testLogger,
  until,
  type TestPostgres,
} from '@dist-exec/testing';
import { DELETE_FINISHED_SQL } from '../src/store/postgres-sql.js';
import { makeJob } from './helpers.js';

/**
 * What only the PostgreSQL store has to prove (the Store contract itself is
 * store-contract.test.ts): its schema's versions, one-line errors that never
 * show the password, and a database that goes away and comes back.
 */

const withPostgres = postgresAvailable();
let server: TestPostgres;
const open: PostgresStore[] = [];

beforeAll(async () => {
  if (withPostgres) server = await startTestPostgres();
});

afterAll(async () => {
  await server?.destroy();
});

afterEach(async () => {
  for (const store of open.splice(0)) await store.close();
});

function store(url: string, options: Partial<PostgresStoreOptions> = {}): PostgresStore {
  const created = new PostgresStore({ url, logger: testLogger(), ...options });
  open.push(created);
  return created;
}

async function openError(created: PostgresStore): Promise<StoreUnusableError> {
  const error = await created.open().then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StoreUnusableError);
  const unusable = error as StoreUnusableError;
  // One line that names the database, its password masked.
  expect(unusable.message).not.toContain('\n');
  expect(unusable.message.startsWith(`${created.location}: `)).toBe(true);
  return unusable;
}

async function rows(url: string, sql: string): Promise<Record<string, unknown>[]> {
  return server.query(sql, [], databaseName(url));
}

async function storedIds(url: string): Promise<string[]> {
  return (await rows(url, 'SELECT id FROM dist_exec.jobs ORDER BY seq')).map((r) => String(r.id));
}

describe('the database URL', () => {
  it('is shown with its password masked', () => {
    expect(maskDatabaseUrl('postgres://dist:s3cret@db.example:5432/jobs?sslmode=require')).toBe(
      'postgres://dist:***@db.example:5432/jobs?sslmode=require',
    );
    expect(maskDatabaseUrl('postgresql://db/jobs?user=dist&password=s3cret')).toBe(
      'postgresql://db/jobs?user=dist&password=***',
    );
    expect(maskDatabaseUrl('postgres://dist@db/jobs')).toBe('postgres://dist@db/jobs');
    expect(maskDatabaseUrl('postgres://dist:s3cret@[not a url')).not.toContain('s3cret');
  });

  it('is checked with the flags: required with --store postgres, refused without it, never echoed with its password', () => {
    const problem = (options: Parameters<typeof compileMasterOptions>[0]): string => {
      try {
        compileMasterOptions(options);
        return '';
      } catch (error) {
        return (error as Error).message;
      }
    };
    expect(problem({ store: 'postgres' })).toMatch(/^--database-url: is required with --store postgres/);
    const http = problem({ store: 'postgres', databaseUrl: 'http://dist:s3cret@db/jobs' });
    expect(http).toMatch(/^--database-url: "http:\/\/dist:\*\*\*@db\/jobs" is not a postgres:\/\/ URL/);
    expect(problem({ store: 'sqlite', databaseUrl: 'postgres://db/jobs' })).toMatch(
      /^--database-url: is only for --store postgres/,
    );
    expect(problem({ store: 'postgres', databaseUrl: 'postgres://dist:s3cret@db/jobs' })).toBe('');
  });
});

describe.skipIf(!withPostgres)('PostgresStore on a real server', () => {
  const latest = Math.max(...POSTGRES_MIGRATIONS.map((m) => m.version));
  const next: PostgresMigration = {
    version: latest + 1,
    description: 'a column',
    sql: 'ALTER TABLE dist_exec.jobs ADD COLUMN note text',
  };

  it('creates the schema in a new database and upgrades an older one step by step', async () => {
    const url = await server.createDatabase();
    await store(url, { migrations: POSTGRES_MIGRATIONS }).open();
    await open.pop()?.close();
    await store(url, { migrations: [...POSTGRES_MIGRATIONS, next] }).open();
    await open.pop()?.close();
    expect(await rows(url, 'SELECT schema_version FROM dist_exec.meta')).toEqual([{ schema_version: latest + 1 }]);
    expect(await rows(url, 'SELECT note FROM dist_exec.jobs')).toEqual([]);
    // Nothing left to do the next time; the data is untouched.
    const again = store(url, { migrations: [...POSTGRES_MIGRATIONS, next] });
    expect(await again.open()).toEqual({ activeJobs: [], nextSeq: 1 });
  });

  it("keeps a finished job's row compacted (migration 6), and reads the JSON rows written before it", async () => {
    const url = await server.createDatabase();
    const done = (id: string, seq: number): Job =>
      makeJob(
        { command: '', argv: ['python3', '-m', 'etl.run'] },
        { id, seq, state: 'COMPLETED', exitCode: 0, finishedAtMs: seq },
      );
    const s = store(url);
    await s.open();
    // A finished job as the store wrote it before migration 6: JSON in "data".
    const old = done('old', 1);
    await rows(
      url,
      `INSERT INTO dist_exec.jobs (seq, id, state, created_at_ms, finished_at_ms, data)
       VALUES (1, 'old', 'COMPLETED', 0, 1, '${JSON.stringify({ ...old, spec: { ...old.spec, stdin: { $bytes: '' } } })}')`,
    );
    s.putJob(done('new', 2));
    s.putJob(makeJob({}, { id: 'active', seq: 3 }));
    await s.flush();
    expect(
      await rows(
        url,
        'SELECT id, data IS NULL AS no_json, octet_length(packed) < 200 AS small FROM dist_exec.jobs ORDER BY seq',
      ),
    ).toEqual([
      { id: 'old', no_json: false, small: null },
      { id: 'new', no_json: true, small: true },
      { id: 'active', no_json: false, small: null },
    ]);
    expect(await s.getJob('old')).toEqual(done('old', 1));
    expect(await s.getJob('new')).toEqual(done('new', 2));
    const page = await s.listJobs({ states: ['COMPLETED'], pageSize: 10, pageToken: '' });
    expect(page.jobs.map((job) => job.id)).toEqual(['new', 'old']);
    // A large output chunk is packed (output-packing.ts), a small one stored as it came.
    const log = Buffer.from('INFO processed item 42 of batch 7 in 3 ms\n'.repeat(100));
    s.appendOutput('new', { offset: 0, stream: 'stdout', attempt: 1, timestampMs: 1, data: log });
    s.appendOutput('new', {
      offset: log.length,
      stream: 'stdout',
      attempt: 1,
      timestampMs: 2,
      data: Buffer.from('ok'),
    });
    await s.flush();
    expect(
      await rows(url, 'SELECT size, octet_length(data) < 400 AS small FROM dist_exec.output ORDER BY byte_offset'),
    ).toEqual([
      { size: log.length, small: true },
      { size: null, small: true },
    ]);
    const back = await s.readOutput('new', 0);
    expect(Buffer.concat(back.map((c) => c.data)).toString()).toBe(`${log.toString()}ok`);
  });

  it('leaves the database at the last completed version when a step fails', async () => {
    const url = await server.createDatabase();
    const broken: PostgresMigration = {
      version: latest + 2,
      description: 'fails half way',
      sql: 'CREATE TABLE dist_exec.half_done (x integer); SELECT 1 / 0;',
    };
    const error = await openError(store(url, { migrations: [...POSTGRES_MIGRATIONS, next, broken] }));
    expect(error.message).toMatch(/division by zero/);
    expect(await rows(url, 'SELECT schema_version FROM dist_exec.meta')).toEqual([{ schema_version: latest + 1 }]);
    expect(await rows(url, "SELECT to_regclass('dist_exec.half_done') AS t")).toEqual([{ t: null }]);
  });

  it('refuses a schema from a newer version, and leaves it as it was', async () => {
    const url = await server.createDatabase();
    const first = store(url);
    await first.open();
    for (let i = 1; i <= 3; i += 1) first.putJob(makeJob({}, { id: `n-${i}`, seq: i }));
    await first.flush();
    await first.close();
    await rows(url, 'UPDATE dist_exec.meta SET schema_version = 7');
    const error = await openError(store(url));
    expect(error.message).toMatch(new RegExp(`schema version 7 is newer than this master understands \\(${latest}\\)`));
    expect(await rows(url, 'SELECT schema_version FROM dist_exec.meta')).toEqual([{ schema_version: 7 }]);
    expect(await storedIds(url)).toEqual(['n-1', 'n-2', 'n-3']);
  });

  it('refuses a dist_exec schema some other program made instead of starting beside its tables', async () => {
    const url = await server.createDatabase();
    await rows(url, 'CREATE SCHEMA dist_exec; CREATE TABLE dist_exec.invoices (n integer)');
    expect((await openError(store(url))).message).toMatch(/not a dist-exec store/);
  });

  it('says in one line, the password masked, why the database cannot be used', async () => {
    const port = await freePort();
    const unreachable = await openError(store(`postgres://dist:s3cret@127.0.0.1:${port}/jobs`));
    expect(unreachable.message).toMatch(
      new RegExp(
        `^postgres://dist:\\*\\*\\*@127\\.0\\.0\\.1:${port}/jobs: cannot connect \\(.*ECONNREFUSED.*\\); check that PostgreSQL runs there`,
      ),
    );
    const missing = await openError(store(`postgres://postgres:s3cret@127.0.0.1:${server.port}/no_such_db`));
    expect(missing.message).toMatch(/database "no_such_db" does not exist; create it first/);
    for (const error of [unreachable, missing]) expect(error.message).not.toContain('s3cret');
  });

  it('while the database is down: submits fail at once, other writes wait, and all resumes when it is back', async () => {
    const url = await server.createDatabase();
    const s = store(url, { retryMaxMs: 200 });
    await s.open();
    const running = makeJob({}, { id: 'kept', seq: 1 });
    s.putJob(running);
    await s.flush();

    await server.stop();
    try {
      // A submit: its job is new. It fails with the cause, and the job is not stored.
      s.putJob(makeJob({ idempotencyKey: 'k' }, { id: 'refused', seq: 2 }));
      const submit = await s.flush().then(
        () => null,
        (e: unknown) => e,
      );
      expect(submit).toBeInstanceOf(UnavailableError);
      expect((submit as Error).message).toMatch(
        /^the database at postgres:\/\/postgres@127\.0\.0\.1:\d+\/test_\w+ is unavailable \(.+\)/,
      );
      expect(s.problem).toMatch(/is unavailable/);
      await expect(s.listJobs({ states: [], pageSize: 10, pageToken: '' })).rejects.toThrow(/is unavailable/);
      // An update of a stored job (a result, an attempt before it is sent) waits for the database.
      const done: Job = { ...running, state: 'COMPLETED', finishedAtMs: 50 };
      s.putJob(done);
      let durable = false;
      const waiting = s.flush().then(() => (durable = true));
      const acked = s.whenDurable();
      for (let i = 0; i < 5; i += 1) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(durable).toBe(false);

      await server.start();
      await waiting;
      await acked;
    } finally {
      await server.start();
    }
    await until(() => s.problem === null, { message: 'the store to say the database is back' });
    expect(await s.getJob('refused')).toBeUndefined();
    expect(await s.findJobByIdempotencyKey('k')).toBeUndefined();
    expect(await rows(url, 'SELECT id, state FROM dist_exec.jobs')).toEqual([{ id: 'kept', state: 'COMPLETED' }]);
    // A submit after the outage is stored as usual, with the idempotency key of the refused one.
    s.putJob(makeJob({ idempotencyKey: 'k' }, { id: 'after', seq: 3 }));
    await s.flush();
    expect(await s.countJobs([])).toBe(2);
    expect((await s.findJobByIdempotencyKey('k'))?.id).toBe('after');
  });

  it('takes its connections back after pg_terminate_backend, the store lock included, losing nothing', async () => {
    const url = await server.createDatabase();
    const said: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => said.push(String(JSON.parse(line).msg)) });
    const s = store(url, { logger });
    await s.open();
    s.putJob(makeJob({}, { id: 'before', seq: 1 }));
    await s.flush();
    expect(await server.terminateConnections(databaseName(url))).toBeGreaterThanOrEqual(1);
    // The connection that holds the lock was cut: the store notices, takes it again, and goes on.
    await until(() => said.includes('database reachable again; writes resume'), {
      message: 'the store to take its lock again',
    });
    expect(said).toContain('database unavailable; writes wait until it is back');
    expect(s.problem).toBeNull();
    s.putJob(makeJob({}, { id: 'after', seq: 2 }));
    await s.flush();
    expect(await storedIds(url)).toEqual(['before', 'after']);
    // It holds the lock again: a second master still finds the store taken.
    expect((await openError(store(url))).message).toMatch(/in use by another running master/);
  });

  it('gives up, rather than exhaust memory, when too much output waits for the database', async () => {
    const url = await server.createDatabase();
    const s = store(url, { retryMinMs: 3_600_000, maxBufferedOutputBytes: 1000 });
    await s.open();
    s.putJob(makeJob({}, { id: 'chatty', seq: 1, state: 'RUNNING' }));
    await s.flush();
    await server.terminateConnections(databaseName(url));
    await until(() => s.problem !== null, { message: 'the store to notice the database is gone' });
    const chunk = (offset: number): OutputChunk => ({
      offset,
      stream: 'stdout',
      attempt: 1,
      timestampMs: 1,
      data: new Uint8Array(600),
    });
    s.appendOutput('chatty', chunk(0));
    expect(s.problem).toMatch(/is unavailable/);
    s.appendOutput('chatty', chunk(600));
    expect(s.problem).toMatch(/more than 1000 bytes of output waited for the database .* restart the master$/);
    await expect(s.whenDurable()).rejects.toThrow(/restart the master/);
  });

  it('deletes the job of a failed submit even when the commit that timed out stored it later', async () => {
    const url = await server.createDatabase();
    const s = store(url, { commitTimeoutMs: 1000 });
    await s.open();
    s.putJob(makeJob({}, { id: 'kept', seq: 1 }));
    await s.flush();
    // The row of job "slow" takes three seconds to insert: the commit answers after the store gave up on it.
    await rows(
      url,
      `CREATE FUNCTION public.slow_insert() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN IF NEW.id = 'slow' THEN PERFORM pg_sleep(3); END IF; RETURN NEW; END $$;
       CREATE TRIGGER slow BEFORE INSERT ON dist_exec.jobs FOR EACH ROW EXECUTE FUNCTION public.slow_insert()`,
    );
    s.putJob(makeJob({}, { id: 'slow', seq: 2 }));
    await expect(s.flush()).rejects.toThrow(/no answer to a commit within 1000ms/);
    expect(await s.getJob('slow')).toBeUndefined();
    await until(() => s.problem === null, { message: 'the store to write again' });
    await until(
      async () =>
        (
          await rows(
            url,
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid()",
          )
        ).length === 0,
      { message: 'the abandoned commit to end' },
    );
    // The abandoned commit landed, then the next one (which waited for it) deleted its job.
    expect(await storedIds(url)).toEqual(['kept']);
    expect(await s.countJobs([])).toBe(1);
  });

  it("finds a job's output for history GC through its key, on a table autovacuum has not analyzed yet", async () => {
    const url = await server.createDatabase();
    const s = store(url);
    await s.open();
    await rows(
      url,
      'ALTER TABLE dist_exec.jobs SET (autovacuum_enabled = false); ALTER TABLE dist_exec.output SET (autovacuum_enabled = false)',
    );
    // A burst faster than autovacuum: no statistics, so the planner guesses how many chunks a job has.
    for (let seq = 1; seq <= 20_000; seq += 1) {
      s.putJob(makeJob({}, { id: `h-${seq}`, seq, state: 'COMPLETED', finishedAtMs: seq }));
      for (const offset of [0, 8])
        s.appendOutput(`h-${seq}`, {
          offset,
          stream: 'stdout',
          attempt: 1,
          timestampMs: seq,
          data: Buffer.from('8 bytes\n'),
        });
    }
    await s.flush();
    expect(
      await rows(url, "SELECT last_analyze, last_autoanalyze FROM pg_stat_user_tables WHERE relname = 'output'"),
    ).toEqual([{ last_analyze: null, last_autoanalyze: null }]);
    // As a join this was a hash join over every chunk of every job, each batch: O(history), not O(batch).
    const plan = (
      await server.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN ${DELETE_FINISHED_SQL}`,
        [1000, 1000, 0, 0],
        databaseName(url),
      )
    )
      .map((row) => row['QUERY PLAN'])
      .join('\n');
    expect(plan).not.toMatch(/Seq Scan on output/);
    expect(plan).toMatch(/(Bitmap )?Index Scan (using|on) output_pkey/);
    expect(await s.deleteFinishedJobs({ finishedBeforeMs: -Infinity, keepMax: 19_000, limit: 1000 })).toBe(1000);
    expect(
      await rows(url, "SELECT count(*)::int AS n FROM dist_exec.output WHERE job_id IN ('h-1000', 'h-1001')"),
    ).toEqual([{ n: 2 }]);
  });
});
