import { randomInt } from 'node:crypto';
import { UnavailableError, type Job, type JobState, type OutputChunk } from '@dist-exec/core';
import pg from 'pg';
import type { Logger } from 'pino';
import { StoreUnusableError } from './database-file.js';
import { decodeJob } from './job-codec.js';
import { NewerSchemaError } from './migrations.js';
import { describeOpenFailure, failureText, isTransient, maskDatabaseUrl, sqlState } from './postgres-errors.js';
import { GroupCommit } from './postgres-group-commit.js';
import { PostgresReads } from './postgres-reads.js';
import { StoreHealth, type ProblemListener } from './store-health.js';
import type { LeaderLease } from './postgres-lease.js';
import {
  LEASE_LOST_SQLSTATE,
  LOCK_CLASS,
  migratePostgres,
  NotOurSchemaError,
  OWNER_LOCK,
  type PostgresMigration,
} from './postgres-schema.js';
import * as sql from './postgres-sql.js';
import { limitsFromJson, tokenRowValues } from './token-limits-json.js';
import type { WriteBatch } from './write-batch.js';
import type {
  HistoryPrune,
  JobPage,
  JobPageQuery,
  RecoveredState,
  Store,
  StoredAuth,
  StoredNodeClaim,
  StoredToken,
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
  /**
   * The lease of a leading master (several masters on one database): every
   * write is made under its epoch, and a write the database refuses as stale
   * tells the lease it is lost. Without one, the store owns the database
   * alone, by a session advisory lock (one master, tests).
   */
  lease?: LeaderLease;
}

export const DEFAULT_PG_POOL_SIZE = 4;
export const DEFAULT_PG_CONNECT_TIMEOUT_MS = 5000;
export const DEFAULT_PG_COMMIT_TIMEOUT_MS = 30_000;

/**
 * The store on PostgreSQL (`--store postgres --database-url …`): the same
 * contract and promises as SqliteStore, on a server several masters can share.
 * Writes go through a GroupCommit (postgres-group-commit.ts): one statement,
 * one transaction and one round trip per group commit; a database that goes
 * away is waited for, not fatal. Reads go to SQL once the writes made before
 * them are committed, except reads of one job, which look at the buffer first.
 *
 * With a lease (several masters, see postgres-lease.ts) the store writes
 * only while the lease holds, and every commit names its epoch, which the
 * database checks in the same transaction. Without one, one master owns the
 * store by a session advisory lock on a connection of its own, taken again
 * when that connection comes back.
 */
export class PostgresStore implements Store {
  readonly kind = 'postgres';
  /**
   * History GC's deletes run on the server while the master's loop goes on,
   * so a batch is bounded only to keep its transaction (row locks, WAL)
   * short: a thousand jobs take 12-16 ms at 1M jobs on a quiet 2-core machine.
   * SQLite's 8 ms would cut them in half and pay each batch's round trips twice.
   */
  readonly gcBatchMs = 100;
  /** The URL with its password masked. */
  readonly location: string;
  readonly #options: PostgresStoreOptions;
  readonly #log: Logger;
  #pool: pg.Pool | null = null;
  /** The connection that holds the owner lock; null while it is lost. */
  #owner: pg.Client | null = null;
  #writes: GroupCommit | null = null;
  readonly #health = new StoreHealth();
  #closed = false;
  /** This store's writer lock (see dist_exec.commit_writes): a number no other master is likely to draw. */
  readonly #writer = randomInt(1, 2 ** 31 - 1);
  readonly #reads = new PostgresReads({
    query: (text, values, name) => this.#query(text, values, name),
    group: () => this.#group(),
  });

  constructor(options: PostgresStoreOptions) {
    this.#options = options;
    this.location = maskDatabaseUrl(options.url);
    this.#log = options.logger.child({ component: 'store' });
  }

  /** Commits made so far (each one transaction): fewer than writes when group commit works. */
  get commits(): number {
    return this.#writes?.commits ?? 0;
  }

  /** The lease epoch writes are made under (0: no lease). */
  get #epoch(): number {
    return this.#options.lease?.epoch ?? 0;
  }

  get problem(): string | null {
    return this.#health.problem;
  }

  watchProblem(listener: ProblemListener): () => void {
    return this.#health.watch(listener);
  }

  async open(): Promise<RecoveredState> {
    if (this.#pool) throw new Error('the store is already open');
    this.#closed = false;
    const pool = new pg.Pool({ ...this.#connection(), max: this.#options.poolSize ?? DEFAULT_PG_POOL_SIZE });
    // An idle connection the server closed: the pool drops it and connects anew when needed.
    pool.on('error', (error) => this.#log.debug({ err: error }, 'idle database connection closed'));
    this.#pool = pool;
    try {
      if (!this.#options.lease) this.#owner = await this.#takeOwnership();
      const client = await pool.connect();
      let migrated: number[];
      try {
        migrated = await migratePostgres(client, this.#options.migrations);
      } finally {
        client.release();
      }
      const recovered = await this.#recover(pool);
      this.#writes = new GroupCommit(
        {
          location: this.location,
          logger: this.#log,
          health: this.#health,
          write: (batch, forgotten) => this.#write(pool, batch, forgotten),
          owns: () => (this.#options.lease ? this.#options.lease.holds() : this.#owner !== null),
          reclaim: () => this.#reclaim(),
          lazyCommitMs: this.#options.lazyCommitMs,
          retryMinMs: this.#options.retryMinMs,
          retryMaxMs: this.#options.retryMaxMs,
          maxBufferedOutputBytes: this.#options.maxBufferedOutputBytes,
        },
        recovered.nextSeq - 1,
      );
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
      // Every query here is short: a lookup, a page, a group commit or a GC batch. JIT compiling pays only for long
      // analytic queries, and a plan misestimated on a table not yet analyzed spent 300 ms compiling one GC batch.
      options: '-c jit=off',
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

  async #reclaim(): Promise<void> {
    const lease = this.#options.lease;
    if (lease) {
      if (lease.holds()) return;
      lease.lost('the lease lapsed while the database was away');
      throw new StoreUnusableError(this.location, 'this master no longer holds the lease');
    }
    const owner = await this.#takeOwnership();
    if (this.#closed) {
      await owner.end().catch(() => undefined);
      throw new UnavailableError('the store is closed');
    }
    this.#owner = owner;
  }

  #ownerLost(client: pg.Client, error: Error): void {
    if (client !== this.#owner || this.#closed) return;
    this.#owner = null;
    client.end().catch(() => undefined);
    this.#writes?.lost(error);
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
    return { activeJobs, nextSeq: Number(last.rows[0]?.last ?? 0) + 1 };
  }

  /** One group commit: one statement on a connection of the pool, abandoned if it does not answer in time. */
  async #write(pool: pg.Pool, batch: WriteBatch, forgotten: readonly string[]): Promise<void> {
    const client = await pool.connect();
    // A connection lost mid-commit fails the query too; without a listener its 'error' event would end the process.
    const ignore = (): void => undefined;
    client.on('error', ignore);
    let timer: NodeJS.Timeout | undefined;
    try {
      const query =
        batch.empty && forgotten.length === 0
          ? client.query('SELECT 1')
          : batch.hasAuth
            ? this.#writeWithAuth(client, batch, forgotten)
            : client.query({
                name: 'dist-exec-commit',
                text: sql.COMMIT_SQL,
                values: sql.commitValues(batch.jobs.values(), batch.output, forgotten, this.#writer, this.#epoch),
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
      if (sqlState(error) === LEASE_LOST_SQLSTATE) this.#options.lease?.lost(failureText(error));
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** A group commit that also writes tokens or node claims: one transaction of a few statements. */
  async #writeWithAuth(client: pg.PoolClient, batch: WriteBatch, forgotten: readonly string[]): Promise<void> {
    await client.query('BEGIN');
    try {
      await client.query({
        name: 'dist-exec-commit',
        text: sql.COMMIT_SQL,
        values: sql.commitValues(batch.jobs.values(), batch.output, forgotten, this.#writer, this.#epoch),
      });
      for (const t of batch.tokens.values()) {
        await client.query(sql.UPSERT_TOKEN_SQL, tokenRowValues(t));
      }
      for (const [nodeId, claim] of batch.claims) {
        if (claim)
          await client.query(sql.UPSERT_CLAIM_SQL, [nodeId, claim.secretHash, claim.tokenName, claim.claimedAtMs]);
        else await client.query(sql.DELETE_CLAIM_SQL, [nodeId]);
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  // ---- writes: buffered, made durable by group commit ----

  #group(): GroupCommit {
    if (!this.#writes || this.#closed) throw new UnavailableError('the store is not open');
    return this.#writes;
  }

  putJob(job: Job): void {
    this.#writes?.putJob(job);
  }

  appendOutput(jobId: string, chunk: OutputChunk): void {
    this.#writes?.appendOutput(jobId, chunk);
  }

  putToken(token: StoredToken): void {
    this.#writes?.putToken(token);
  }

  putNodeClaim(claim: StoredNodeClaim): void {
    this.#writes?.putNodeClaim(claim);
  }

  deleteNodeClaim(nodeId: string): void {
    this.#writes?.deleteNodeClaim(nodeId);
  }

  flush(): Promise<void> {
    return this.#writes ? this.#writes.flush() : Promise.reject(new UnavailableError('the store is not open'));
  }

  whenDurable(): Promise<void> {
    return this.#writes ? this.#writes.whenDurable() : Promise.reject(new UnavailableError('the store is not open'));
  }

  // ---- reads (they see every write made before them, committed or not) ----

  async loadAuth(): Promise<StoredAuth> {
    await this.#group().settle();
    const nullable = (value: string | null): number | null => (value === null ? null : Number(value));
    const tokens = (await this.#query<Record<string, string | null>>(sql.ALL_TOKENS_SQL, [])).map(
      (row): StoredToken => ({
        hash: String(row.hash),
        name: String(row.name),
        role: row.role as StoredToken['role'],
        createdAtMs: Number(row.created_at_ms),
        expiresAtMs: nullable(row.expires_at_ms ?? null),
        revokedAtMs: nullable(row.revoked_at_ms ?? null),
        lastUsedAtMs: nullable(row.last_used_at_ms ?? null),
        createdBy: String(row.created_by),
        limits: limitsFromJson(String(row.limits)),
      }),
    );
    const nodeClaims = (await this.#query<Record<string, string>>(sql.ALL_CLAIMS_SQL, [])).map(
      (row): StoredNodeClaim => ({
        nodeId: String(row.node_id),
        secretHash: String(row.secret_hash),
        tokenName: String(row.token_name),
        claimedAtMs: Number(row.claimed_at_ms),
      }),
    );
    return { tokens, nodeClaims };
  }

  getJob(id: string): Promise<Job | undefined> {
    return this.#reads.getJob(id);
  }

  findJobByIdempotencyKey(key: string): Promise<Job | undefined> {
    return this.#reads.findJobByIdempotencyKey(key);
  }

  findJobsByIdempotencyKeys(keys: readonly string[]): Promise<Map<string, Job>> {
    return this.#reads.findJobsByIdempotencyKeys(keys);
  }

  listJobs(query: JobPageQuery): Promise<JobPage> {
    return this.#reads.listJobs(query);
  }

  findJobsByIdFragment(fragment: string, limit: number): Promise<Job[]> {
    return this.#reads.findJobsByIdFragment(fragment, limit);
  }

  countJobs(states: readonly JobState[]): Promise<number> {
    return this.#reads.countJobs(states);
  }

  readOutput(jobId: string, fromOffset: number): Promise<OutputChunk[]> {
    return this.#reads.readOutput(jobId, fromOffset);
  }

  async deleteFinishedJobs({ finishedBeforeMs, keepMax, limit }: HistoryPrune): Promise<number> {
    await this.#group().settle();
    const finished = Number((await this.#query<{ n: string }>(sql.FINISHED_COUNT_SQL, []))[0]?.n ?? 0);
    const excess = Number.isFinite(keepMax) ? Math.max(0, finished - keepMax) : 0;
    const before = Math.min(Math.max(finishedBeforeMs, Number.MIN_SAFE_INTEGER), Number.MAX_SAFE_INTEGER);
    const rows = await this.#query<{ n: string }>(sql.DELETE_FINISHED_SQL, [
      limit,
      excess,
      Math.floor(before),
      this.#epoch,
    ]);
    return Number(rows[0]?.n ?? 0);
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

  /** Commits what is buffered when the database takes it (what it cannot is logged as lost), then disconnects. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#writes?.close();
    this.#closed = true;
    await this.#disconnect();
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
