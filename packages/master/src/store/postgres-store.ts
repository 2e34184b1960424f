import { randomInt } from 'node:crypto';
import { UnavailableError, type Job, type JobState, type OutputChunk, type OutputStreamName } from '@dist-exec/core';
import pg from 'pg';
import type { Logger } from 'pino';
import { StoreUnusableError } from './database-file.js';
import { decodeJob } from './job-codec.js';
import { NewerSchemaError } from './migrations.js';
import { describeOpenFailure, failureText, isTransient, maskDatabaseUrl } from './postgres-errors.js';
import {
  LOCK_CLASS,
  migratePostgres,
  NotOurSchemaError,
  OWNER_LOCK,
  type PostgresMigration,
} from './postgres-schema.js';
import * as sql from './postgres-sql.js';
import {
  chunksFrom,
  type HistoryPrune,
  type JobPage,
  type JobPageQuery,
  type RecoveredState,
  type Store,
} from './store.js';

export interface PostgresStoreOptions {
  /** `postgres://user:password@host:5432/database`; libpq's parameters (sslmode, …) and PG* variables work too. */
  url: string;
  logger: Logger;
  /** Schema steps (tests pass their own). @default POSTGRES_MIGRATIONS */
  migrations?: readonly PostgresMigration[];
  /** Longest a write nobody awaits stays buffered before it is committed, in ms (as in SqliteStore). @default 100 */
  lazyCommitMs?: number;
  /** Connections for commits and reads, besides the one that holds the store's lock. @default 4 */
  poolSize?: number;
  /** A connection attempt gives up after this long, in ms. @default 5000 */
  connectTimeoutMs?: number;
  /** A commit not answered by then is abandoned (its connection closed) and retried, in ms. @default 30000 */
  commitTimeoutMs?: number;
  /** First wait before trying the database again after it failed, in ms; doubles up to `retryMaxMs`. @default 250 */
  retryMinMs?: number;
  /** @default 5000 */
  retryMaxMs?: number;
  /**
   * Most output (bytes) kept in memory while the database is away; past it the
   * store gives up, as on a fatal error, rather than exhaust memory (the workers
   * keep results, and replay output after a restart). @default 268435456 (256 MiB)
   */
  maxBufferedOutputBytes?: number;
}

export const DEFAULT_PG_POOL_SIZE = 4;
export const DEFAULT_PG_CONNECT_TIMEOUT_MS = 5000;
export const DEFAULT_PG_COMMIT_TIMEOUT_MS = 30_000;
export const DEFAULT_PG_MAX_BUFFERED_OUTPUT_BYTES = 256 * 1024 * 1024;

/**
 * How a waiter fares when the database is unavailable. `submit` flushes
 * carry new jobs and `read`s need the database now: both fail at once.
 * Everything else (an attempt recorded before it is sent, a result before it
 * is acknowledged) waits for the database to come back.
 */
type WaiterKind = 'submit' | 'durable' | 'read';

interface Waiter {
  kind: WaiterKind;
  resolve(): void;
  reject(error: Error): void;
}

/** Writes committed together, and who waits for them. */
class Batch {
  jobs = new Map<string, Job>();
  byKey = new Map<string, Job>();
  output: { jobId: string; chunk: OutputChunk }[] = [];
  /** Bytes of output in `output`. */
  outputBytes = 0;
  waiters: Waiter[] = [];
  get empty(): boolean {
    return this.jobs.size === 0 && this.output.length === 0;
  }
}

interface OutputRow {
  byte_offset: string;
  stream: OutputStreamName;
  attempt: number;
  ts_ms: string;
  data: Buffer;
}

/**
 * The store on PostgreSQL (`--store postgres --database-url …`): the same
 * contract and promises as SqliteStore, on a server several masters can share.
 *
 * Group commit as in SqliteStore: writes are buffered and a `flush()` commits
 * all of them in one statement (one transaction, one round trip) on the next
 * `setImmediate`. The commit is asynchronous, so while one is in flight the
 * next burst gathers behind it. Writes nobody awaits ride with the next flush
 * or are committed `lazyCommitMs` later.
 *
 * The database may go away (a restart, a failover, a network cut): that is
 * not the end of the store, as a failed fsync is for SQLite. The failed batch
 * is kept and written again, every upsert and append being idempotent, until
 * the database answers; meanwhile `problem` says why, submits (flushes that
 * carry new jobs) fail at once with UNAVAILABLE and their jobs are not stored
 * (deleted, should the failed commit have reached the disk after all), and
 * other flushes wait. A failure the same write would meet again (a broken
 * constraint) is fatal, as in SqliteStore.
 *
 * One master owns the store: it holds a session advisory lock on a connection
 * of its own, taken again when that connection comes back. Leadership by
 * lease, with every write fenced by its epoch, will replace it.
 */
export class PostgresStore implements Store {
  readonly kind = 'postgres';
  /** The URL with its password masked. */
  readonly location: string;
  readonly #options: PostgresStoreOptions;
  readonly #log: Logger;
  #pool: pg.Pool | null = null;
  /** The connection that holds the owner lock; null while it is lost. */
  #owner: pg.Client | null = null;
  #buffer = new Batch();
  #inflight: Batch | null = null;
  #committing: Promise<void> = Promise.resolve();
  /** Jobs whose submit failed: never stored, and deleted by the next commit should a failed one have stored them. */
  #forgotten = new Set<string>();
  /** A job above this submit number has never been committed: it is new. */
  #durableSeq = 0;
  /** A new job was put since the last flush (the submit's own flush comes next). */
  #unclaimedNew = false;
  #outage: UnavailableError | null = null;
  #fatal: UnavailableError | null = null;
  #closed = false;
  #immediate = false;
  #lazyTimer: NodeJS.Timeout | null = null;
  #retryTimer: NodeJS.Timeout | null = null;
  #retryMs: number;
  #commits = 0;
  /** This store's writer lock (see dist_exec.commit_writes): a number no other master is likely to draw. */
  readonly #writer = randomInt(1, 2 ** 31 - 1);

  constructor(options: PostgresStoreOptions) {
    this.#options = options;
    this.location = maskDatabaseUrl(options.url);
    this.#log = options.logger.child({ component: 'store' });
    this.#retryMs = options.retryMinMs ?? 250;
  }

  /** Commits made so far (each one transaction): fewer than writes when group commit works. */
  get commits(): number {
    return this.#commits;
  }

  get problem(): string | null {
    return this.#fatal?.message ?? this.#outage?.message ?? null;
  }

  async open(): Promise<RecoveredState> {
    if (this.#pool) throw new Error('the store is already open');
    this.#closed = false;
    const pool = new pg.Pool({ ...this.#connection(), max: this.#options.poolSize ?? DEFAULT_PG_POOL_SIZE });
    // An idle connection the server closed: the pool drops it and connects anew when needed.
    pool.on('error', (error) => this.#log.debug({ err: error }, 'idle database connection closed'));
    this.#pool = pool;
    try {
      this.#owner = await this.#takeOwnership();
      const client = await pool.connect();
      let migrated: number[];
      try {
        migrated = await migratePostgres(client, this.#options.migrations);
      } finally {
        client.release();
      }
      const recovered = await this.#recover(pool);
      this.#log.info(
        { url: this.location, migrated, active: recovered.activeJobs.length, nextSeq: recovered.nextSeq },
        'store opened',
      );
      return recovered;
    } catch (error) {
      await this.#disconnect();
      if (error instanceof NewerSchemaError || error instanceof NotOurSchemaError)
        throw new StoreUnusableError(this.location, error.message, { cause: error });
      throw describeOpenFailure(this.#options.url, error);
    }
  }

  #connection(): pg.ClientConfig {
    return {
      connectionString: this.#options.url,
      connectionTimeoutMillis: this.#options.connectTimeoutMs ?? DEFAULT_PG_CONNECT_TIMEOUT_MS,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      application_name: 'dist-exec-master',
    };
  }

  /** Connects and takes the owner lock; refuses when another master holds it. */
  async #takeOwnership(): Promise<pg.Client> {
    const client = new pg.Client(this.#connection());
    client.on('error', (error) => this.#ownerLost(client, error));
    try {
      await client.connect();
      // Should this master's host vanish without closing the connection, the server notices within
      // about 25 s and lets the lock go (by default it would take two hours).
      await client.query('SET tcp_keepalives_idle = 10; SET tcp_keepalives_interval = 5; SET tcp_keepalives_count = 3');
      const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS locked', [
        LOCK_CLASS,
        OWNER_LOCK,
      ]);
      if (!rows[0]?.locked)
        throw new StoreUnusableError(
          this.location,
          'the database is in use by another running master; stop it, or give this one another database',
        );
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    client.on('end', () => this.#ownerLost(client, new Error('the connection that holds the store lock closed')));
    return client;
  }

  #ownerLost(client: pg.Client, error: Error): void {
    if (client !== this.#owner || this.#closed) return;
    this.#owner = null;
    client.end().catch(() => undefined);
    this.#enterOutage(error);
  }

  async #recover(pool: pg.Pool): Promise<RecoveredState> {
    const active = await pool.query<{ data: string; output_end: string | null }>(sql.ACTIVE_JOBS_SQL);
    const activeJobs = active.rows.map((row) => {
      const job = decodeJob(row.data);
      // Output is appended without rewriting the job row, so the row's length may lag behind the log.
      const end = Number(row.output_end ?? 0);
      if (end > job.outputLength) job.outputLength = end;
      return job;
    });
    const last = await pool.query<{ last: string }>(sql.LAST_SEQ_SQL);
    this.#durableSeq = Number(last.rows[0]?.last ?? 0);
    return { activeJobs, nextSeq: this.#durableSeq + 1 };
  }

  // ---- buffered writes and group commit ----

  putJob(job: Job): void {
    if (this.#fatal || this.#forgotten.has(job.id)) return;
    const buffer = this.#buffer;
    if (job.seq > this.#durableSeq && !buffer.jobs.has(job.id) && !this.#inflight?.jobs.has(job.id))
      this.#unclaimedNew = true;
    buffer.jobs.set(job.id, job);
    if (job.spec.idempotencyKey) buffer.byKey.set(job.spec.idempotencyKey, job);
    this.#buffered();
  }

  appendOutput(jobId: string, chunk: OutputChunk): void {
    if (this.#fatal || this.#forgotten.has(jobId)) return;
    const buffer = this.#buffer;
    buffer.output.push({ jobId, chunk });
    buffer.outputBytes += chunk.data.length;
    const limit = this.#options.maxBufferedOutputBytes ?? DEFAULT_PG_MAX_BUFFERED_OUTPUT_BYTES;
    if (this.#outage && buffer.outputBytes > limit) {
      this.#die(new Error(`more than ${limit} bytes of output waited for the database (${this.#outage.message})`));
      return;
    }
    this.#buffered();
  }

  flush(): Promise<void> {
    if (this.#fatal) return Promise.reject(this.#fatal);
    const kind: WaiterKind = this.#unclaimedNew ? 'submit' : 'durable';
    this.#unclaimedNew = false;
    if (this.#outage && kind === 'submit') {
      this.#forgetNew(this.#buffer);
      return Promise.reject(this.#outage);
    }
    if (this.#buffer.empty) return this.#inflight ? this.#wait(this.#inflight, kind) : Promise.resolve();
    this.#soon();
    return this.#wait(this.#buffer, kind);
  }

  whenDurable(): Promise<void> {
    if (this.#fatal) return Promise.reject(this.#fatal);
    if (!this.#buffer.empty) return this.#wait(this.#buffer, 'durable');
    return this.#inflight ? this.#wait(this.#inflight, 'durable') : Promise.resolve();
  }

  #wait(batch: Batch, kind: WaiterKind): Promise<void> {
    return new Promise((resolve, reject) => batch.waiters.push({ kind, resolve, reject }));
  }

  #buffered(): void {
    if (this.#lazyTimer || this.#outage || this.#fatal) return;
    this.#lazyTimer = setTimeout(() => this.#commit(), this.#options.lazyCommitMs ?? 100);
    this.#lazyTimer.unref();
  }

  #soon(): void {
    if (this.#immediate || this.#outage) return;
    this.#immediate = true;
    setImmediate(() => this.#commit());
  }

  /** Starts committing what is buffered, unless a commit is in flight (the next one starts when it ends). */
  #commit(retrying = false): void {
    this.#immediate = false;
    if (this.#lazyTimer) clearTimeout(this.#lazyTimer);
    this.#lazyTimer = null;
    const pool = this.#pool;
    if (this.#inflight || this.#fatal || this.#closed || !pool || (this.#outage && !retrying)) return;
    const batch = this.#buffer;
    const forgotten = [...this.#forgotten];
    if (batch.empty && forgotten.length === 0 && !retrying) {
      for (const waiter of batch.waiters.splice(0)) waiter.resolve();
      return;
    }
    this.#buffer = new Batch();
    this.#inflight = batch;
    this.#committing = this.#write(pool, batch, forgotten).then(
      () => this.#committed(batch, forgotten),
      (error: unknown) => this.#failed(batch, error),
    );
  }

  async #write(pool: pg.Pool, batch: Batch, forgotten: string[]): Promise<void> {
    const client = await pool.connect();
    // A connection lost mid-commit fails the query too; without a listener its 'error' event would end the process.
    const ignore = (): void => undefined;
    client.on('error', ignore);
    let timer: NodeJS.Timeout | undefined;
    try {
      const query =
        batch.empty && forgotten.length === 0
          ? client.query('SELECT 1')
          : client.query({
              name: 'dist-exec-commit',
              text: sql.COMMIT_SQL,
              values: sql.commitValues(batch.jobs.values(), batch.output, forgotten, this.#writer),
            });
      const timeoutMs = this.#options.commitTimeoutMs ?? DEFAULT_PG_COMMIT_TIMEOUT_MS;
      const timeout = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer to a commit within ${timeoutMs}ms`)), timeoutMs);
      });
      await Promise.race([query, timeout]);
      client.off('error', ignore);
      client.release();
    } catch (error) {
      // The connection may be dead or stuck mid-statement: close it rather than reuse it (the listener stays).
      client.release(error instanceof Error ? error : new Error(String(error)));
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  #committed(batch: Batch, forgotten: string[]): void {
    this.#inflight = null;
    this.#commits += 1;
    for (const job of batch.jobs.values()) if (job.seq > this.#durableSeq) this.#durableSeq = job.seq;
    for (const id of forgotten) this.#forgotten.delete(id);
    if (this.#outage && this.#owner && !this.#fatal) {
      this.#log.info({ url: this.location }, 'database reachable again; writes resume');
      this.#outage = null;
      this.#retryMs = this.#options.retryMinMs ?? 250;
    }
    for (const waiter of batch.waiters) waiter.resolve();
    this.#next();
  }

  #failed(batch: Batch, error: unknown): void {
    this.#inflight = null;
    if (this.#closed) {
      for (const waiter of batch.waiters) waiter.reject(new UnavailableError('the store is closed'));
      return;
    }
    if (!isTransient(error)) {
      this.#die(error, batch);
      return;
    }
    // The batch goes back in front of what came in since; newer versions of a job win.
    const buffer = this.#buffer;
    for (const [id, job] of buffer.jobs) batch.jobs.set(id, job);
    for (const [key, job] of buffer.byKey) batch.byKey.set(key, job);
    for (const entry of buffer.output) batch.output.push(entry);
    batch.outputBytes += buffer.outputBytes;
    for (const waiter of buffer.waiters) batch.waiters.push(waiter);
    this.#buffer = batch;
    this.#enterOutage(error);
    this.#next();
  }

  /** What comes after a commit ends: the next one now, lazily, or once the database is back. */
  #next(): void {
    if (this.#closed || this.#fatal) return;
    if (this.#outage) {
      this.#scheduleRetry();
      return;
    }
    const buffer = this.#buffer;
    if (buffer.empty && this.#forgotten.size === 0) {
      for (const waiter of buffer.waiters.splice(0)) waiter.resolve();
    } else if (buffer.waiters.some((w) => w.kind !== 'durable')) this.#soon();
    else this.#buffered();
  }

  #enterOutage(error: unknown): void {
    const first = !this.#outage;
    this.#outage = new UnavailableError(
      `the database at ${this.location} is unavailable (${failureText(error)}); writes resume when it is back`,
      { cause: error },
    );
    if (first)
      this.#log.error({ err: error, url: this.location }, 'database unavailable; writes wait until it is back');
    else this.#log.debug({ err: error, url: this.location }, 'database still unavailable');
    // Submits and reads cannot be answered now; what else waits is kept for the retry.
    const buffer = this.#buffer;
    const patient: Waiter[] = [];
    for (const waiter of buffer.waiters) {
      if (waiter.kind === 'durable') patient.push(waiter);
      else waiter.reject(this.#outage);
    }
    buffer.waiters = patient;
    this.#forgetNew(buffer);
    if (!this.#inflight) this.#scheduleRetry();
  }

  /** Drops the jobs never committed: their submits failed, so they must not appear later. */
  #forgetNew(batch: Batch): void {
    let forgot = false;
    for (const [id, job] of batch.jobs) {
      if (job.seq <= this.#durableSeq) continue;
      batch.jobs.delete(id);
      const key = job.spec.idempotencyKey;
      if (key && batch.byKey.get(key) === job) batch.byKey.delete(key);
      this.#forgotten.add(id);
      forgot = true;
    }
    if (!forgot) return;
    batch.output = batch.output.filter((entry) => !this.#forgotten.has(entry.jobId));
    batch.outputBytes = batch.output.reduce((sum, entry) => sum + entry.chunk.data.length, 0);
  }

  #scheduleRetry(): void {
    if (this.#retryTimer || this.#closed) return;
    this.#retryTimer = setTimeout(() => void this.#retry(), this.#retryMs);
    this.#retryTimer.unref();
    this.#retryMs = Math.min(this.#retryMs * 2, this.#options.retryMaxMs ?? 5000);
  }

  async #retry(): Promise<void> {
    this.#retryTimer = null;
    if (this.#closed || this.#fatal || this.#inflight || !this.#outage) return;
    if (!this.#owner) {
      try {
        const owner = await this.#takeOwnership();
        if (this.#closed) {
          await owner.end().catch(() => undefined);
          return;
        }
        this.#owner = owner;
      } catch (error) {
        if (this.#closed) return;
        if (error instanceof StoreUnusableError) {
          // Another master took the store while this one was cut off: it must not write again.
          this.#die(new Error('another master took the database while this one was cut off from it'));
        } else {
          this.#log.debug({ err: error, url: this.location }, 'database still unavailable');
          this.#scheduleRetry();
        }
        return;
      }
    }
    this.#commit(true);
  }

  /** The store can no longer promise anything: every waiter fails, now and later; a restart recovers. */
  #die(error: unknown, batch?: Batch): void {
    this.#fatal = new UnavailableError(
      `the store cannot write to ${this.location}: ${failureText(error)}; restart the master`,
      { cause: error },
    );
    const lost = (batch?.jobs.size ?? 0) + this.#buffer.jobs.size;
    this.#log.fatal(
      { err: error, url: this.location, lostJobs: lost },
      'store commit failed; no more writes are acknowledged',
    );
    for (const waiter of [...(batch?.waiters ?? []), ...this.#buffer.waiters]) waiter.reject(this.#fatal);
    this.#buffer = new Batch();
    this.#clearTimers();
  }

  // ---- reads (they see every write made before them, committed or not) ----

  async getJob(id: string): Promise<Job | undefined> {
    if (this.#forgotten.has(id)) return undefined;
    const pending = this.#buffer.jobs.get(id) ?? this.#inflight?.jobs.get(id);
    if (pending) return pending;
    const rows = await this.#query<{ data: string }>(sql.JOB_BY_ID_SQL, [id], 'dist-exec-job');
    return rows[0] ? decodeJob(rows[0].data) : undefined;
  }

  async findJobByIdempotencyKey(key: string): Promise<Job | undefined> {
    const pending = this.#buffer.byKey.get(key) ?? this.#inflight?.byKey.get(key);
    if (pending) return pending;
    const rows = await this.#query<{ data: string }>(sql.JOB_BY_KEY_SQL, [key], 'dist-exec-job-by-key');
    const job = rows[0] ? decodeJob(rows[0].data) : undefined;
    return job && !this.#forgotten.has(job.id) ? job : undefined;
  }

  async listJobs(query: JobPageQuery): Promise<JobPage> {
    await this.#settle();
    const states = [...new Set(query.states)];
    // Tokens are submit sequence numbers: stable while jobs are added or deleted.
    const before = query.pageToken ? Number(query.pageToken) : Number.MAX_SAFE_INTEGER;
    const rows = await this.#query<{ seq: string; data: string }>(sql.pageSql(states.length), [
      before,
      query.pageSize + 1,
      ...states,
    ]);
    const more = rows.length > query.pageSize;
    const page = more ? rows.slice(0, query.pageSize) : rows;
    return {
      jobs: page.map((row) => decodeJob(row.data)),
      nextPageToken: more ? String(page[page.length - 1]?.seq) : '',
      totalCount: await this.#count(states),
    };
  }

  async countJobs(states: readonly JobState[]): Promise<number> {
    await this.#settle();
    return this.#count([...new Set(states)]);
  }

  async #count(states: readonly string[]): Promise<number> {
    const rows = await this.#query<{ n: string }>(sql.COUNT_SQL, [states], 'dist-exec-count');
    return Number(rows[0]?.n ?? 0);
  }

  async readOutput(jobId: string, fromOffset: number): Promise<OutputChunk[]> {
    await this.#settle();
    const rows = await this.#query<OutputRow>(sql.READ_OUTPUT_SQL, [jobId, fromOffset], 'dist-exec-output');
    const chunks = rows.map((row) => ({
      offset: Number(row.byte_offset),
      stream: row.stream,
      attempt: row.attempt,
      timestampMs: Number(row.ts_ms),
      data: new Uint8Array(row.data),
    }));
    return chunksFrom(chunks, fromOffset);
  }

  async deleteFinishedJobs({ finishedBeforeMs, keepMax, limit }: HistoryPrune): Promise<number> {
    await this.#settle();
    const finished = Number((await this.#query<{ n: string }>(sql.FINISHED_COUNT_SQL, []))[0]?.n ?? 0);
    const excess = Number.isFinite(keepMax) ? Math.max(0, finished - keepMax) : 0;
    const before = Math.min(Math.max(finishedBeforeMs, Number.MIN_SAFE_INTEGER), Number.MAX_SAFE_INTEGER);
    const rows = await this.#query<{ n: string }>(sql.DELETE_FINISHED_SQL, [limit, excess, Math.floor(before)]);
    return Number(rows[0]?.n ?? 0);
  }

  /** Waits until the writes made so far are committed, so that SQL sees them; fails while the database is away. */
  async #settle(): Promise<void> {
    if (this.#fatal) return; // Reads show the last good commit, as SqliteStore's do.
    if (this.#outage) throw this.#outage;
    if (!this.#buffer.empty || this.#forgotten.size > 0) {
      this.#soon();
      await this.#wait(this.#buffer, 'read');
    } else if (this.#inflight) await this.#wait(this.#inflight, 'read');
  }

  async #query<Row extends object>(text: string, values: unknown[], name?: string): Promise<Row[]> {
    const pool = this.#pool;
    if (!pool) throw new UnavailableError('the store is closed');
    try {
      return (await pool.query<Row>({ text, values, ...(name ? { name } : {}) })).rows;
    } catch (error) {
      if (isTransient(error))
        throw new UnavailableError(`the database at ${this.location} is unavailable (${failureText(error)})`, {
          cause: error,
        });
      throw new Error(`reading the store at ${this.location} failed: ${failureText(error)}`, { cause: error });
    }
  }

  // ---- the end ----

  /** Commits what is buffered when the database takes it, then disconnects; what it cannot commit is logged as lost. */
  async close(): Promise<void> {
    if (this.#closed) return;
    // Finish the commit in flight, then commit what is left, while the database takes it.
    while (
      !this.#fatal &&
      !this.#outage &&
      this.#pool &&
      (this.#inflight || !this.#buffer.empty || this.#forgotten.size)
    ) {
      if (!this.#inflight) this.#commit();
      await this.#committing;
    }
    this.#closed = true;
    this.#clearTimers();
    await this.#committing;
    const buffer = this.#buffer;
    if (!buffer.empty)
      this.#log.warn(
        { url: this.location, lostJobs: buffer.jobs.size, lostChunks: buffer.output.length },
        'store closed with writes the database never took',
      );
    for (const waiter of buffer.waiters.splice(0)) waiter.reject(new UnavailableError('the store is closed'));
    this.#buffer = new Batch();
    await this.#disconnect();
  }

  #clearTimers(): void {
    if (this.#lazyTimer) clearTimeout(this.#lazyTimer);
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#lazyTimer = null;
    this.#retryTimer = null;
  }

  async #disconnect(): Promise<void> {
    const owner = this.#owner;
    const pool = this.#pool;
    this.#owner = null;
    this.#pool = null;
    await owner?.end().catch(() => undefined);
    await pool?.end().catch(() => undefined);
  }
}
