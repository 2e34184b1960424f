import { dirname, join } from 'node:path';
import type Database from 'better-sqlite3';
import {
  systemClock,
  UnavailableError,
  type Clock,
  type Job,
  type JobState,
  type OutputChunk,
  type Timer,
} from '@dist-exec/core';
import type { Logger } from 'pino';
import { HeldFiles } from './data-dir.js';
import {
  describeFailure,
  LOCK_FILE,
  openDatabase,
  prepareDataDir,
  reopenDatabase,
  StoreUnusableError,
  takeLock,
  writeBack,
} from './database-file.js';
import { decodeJob, jobRowValues } from './job-codec.js';
import { packChunk } from './output-packing.js';
import { limitsFromJson, tokenRowValues } from './token-limits-json.js';
import { APPLICATION_ID, type Migration } from './migrations.js';
import { SqliteGroupCommit } from './sqlite-group-commit.js';
import { SqliteReads, type Statement } from './sqlite-reads.js';
import { FINISHED_COUNT_SQL, releaseFreePages } from './sqlite-history.js';
import { StoreHealth, type ProblemListener } from './store-health.js';
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
import { describeWriteFailure, HeldFileChangedError } from './write-failures.js';
import type { WriteBatch } from './write-batch.js';

export interface SqliteStoreOptions {
  /** Directory of the store file; created when missing. */
  dataDir: string;
  logger: Logger;
  /** Timers of retries and file checks. @default systemClock */
  clock?: Clock;
  /** Schema steps (tests pass their own). @default MIGRATIONS */
  migrations?: readonly Migration[];
  /**
   * Longest a write that nobody awaits (an attempt started, output, a result
   * the worker still holds) stays buffered before it is committed; a
   * `flush()` commits it at once. @default 100
   */
  lazyCommitMs?: number;
  /** Least free space on the data dir's file system to start with, in bytes. @default 268435456 (256 MiB) */
  minFreeSpaceBytes?: number;
  /** How often the files held open are checked to still be at their paths while nothing is written, in ms. @default 1000 */
  fileCheckIntervalMs?: number;
  /** First delay before writing again after a failed write, in ms; doubles up to retryMaxMs. @default 250 */
  retryMinMs?: number;
  /** @default 5000 */
  retryMaxMs?: number;
  /** Output held while the store cannot write, in bytes, beyond which it gives up until a restart. @default 268435456 */
  maxBufferedOutputBytes?: number;
}

export const DEFAULT_LAZY_COMMIT_MS = 100;
export const DEFAULT_FILE_CHECK_INTERVAL_MS = 1000;
export const DEFAULT_STORE_RETRY_MIN_MS = 250;
export const DEFAULT_STORE_RETRY_MAX_MS = 5000;
export const DEFAULT_MAX_BUFFERED_OUTPUT_BYTES = 256 * 1024 * 1024;

/**
 * The embedded, durable store (`--store sqlite`): one SQLite file in WAL mode
 * with synchronous=FULL, so a commit is on disk when it returns. Writes go
 * through a group commit (SqliteGroupCommit): a burst of submits costs one
 * fsync, writes nobody awaits ride with the next commit or go within
 * `lazyCommitMs`, and what a crash can lose of those the workers give back
 * (they keep results and output until the master acknowledges them).
 *
 * A write that fails (disk full, read-only, I/O error) sets `problem` and
 * is retried with backoff until one succeeds. The files are watched too: a
 * database, WAL or lock file deleted under the store (an `rm -rf` of the data
 * dir) would take every later write with it, so the store stops at once, and
 * writes the database back from its open connection (and takes the lock
 * again) before it goes on; one replaced by another file, or a lock another
 * master took meanwhile, stops it for good.
 */
export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  readonly #options: SqliteStoreOptions;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #health = new StoreHealth();
  readonly #files = new HeldFiles();
  #db: Database.Database | null = null;
  #lock: Database.Database | null = null;
  #path = '';
  #statements: Record<string, Statement> = {};
  #writer: SqliteGroupCommit | null = null;
  #checkTimer: Timer | null = null;
  readonly #reads = new SqliteReads({
    db: () => this.#open(),
    stmt: (name) => this.#stmt(name),
    writer: () => this.#writes(),
  });

  constructor(options: SqliteStoreOptions) {
    this.#options = options;
    this.#log = options.logger.child({ component: 'store' });
    this.#clock = options.clock ?? systemClock;
  }

  /** Transactions committed so far (each one fsync): fewer than writes when group commit works. */
  get commits(): number {
    return this.#writer?.commits ?? 0;
  }

  get location(): string {
    return this.#path || this.#options.dataDir;
  }

  get problem(): string | null {
    return this.#health.problem;
  }

  watchProblem(listener: ProblemListener): () => void {
    return this.#health.watch(listener);
  }

  /** The files the store holds open: the database, its WAL and the data dir's lock. */
  #held(): string[] {
    return [this.#path, `${this.#path}-wal`, join(dirname(this.#path), LOCK_FILE)];
  }

  async open(): Promise<RecoveredState> {
    if (this.#db) throw new Error('the store is already open');
    const o = this.#options;
    const opened = openDatabase(o.dataDir, {
      ...(o.migrations ? { migrations: o.migrations } : {}),
      ...(o.minFreeSpaceBytes !== undefined ? { minFreeSpaceBytes: o.minFreeSpaceBytes } : {}),
    });
    this.#db = opened.db;
    this.#lock = opened.lock;
    this.#path = opened.path;
    try {
      this.#prepare(opened.db);
      const recovered = this.#recover();
      this.#files.remember(this.#held());
      this.#writer = new SqliteGroupCommit(
        {
          write: (batch, forgotten, probe) => this.#write(batch, forgotten, probe),
          repair: () => this.#repair(),
          describe: (error) => describeWriteFailure(error, this.#path),
          health: this.#health,
          clock: this.#clock,
          logger: this.#log,
          lazyCommitMs: o.lazyCommitMs ?? DEFAULT_LAZY_COMMIT_MS,
          retryMinMs: o.retryMinMs ?? DEFAULT_STORE_RETRY_MIN_MS,
          retryMaxMs: o.retryMaxMs ?? DEFAULT_STORE_RETRY_MAX_MS,
          maxBufferedOutputBytes: o.maxBufferedOutputBytes ?? DEFAULT_MAX_BUFFERED_OUTPUT_BYTES,
        },
        recovered.nextSeq - 1,
      );
      this.#scheduleFileCheck();
      this.#log.info(
        {
          path: opened.path,
          created: opened.created,
          migrated: opened.migrated,
          active: recovered.activeJobs.length,
          nextSeq: recovered.nextSeq,
        },
        'store opened',
      );
      return recovered;
    } catch (error) {
      await this.close();
      throw describeFailure(opened.path, error);
    }
  }

  #prepare(db: Database.Database): void {
    const sql: Record<string, string> = {
      // Positional parameters, in the order of jobRowValues (binding by name costs a lookup per parameter).
      upsertJob: `INSERT INTO jobs (seq, id, state, idempotency_key, created_at_ms, finished_at_ms, data)
                  VALUES (?, ?, ?, ?, ?, ?, ?)
                  ON CONFLICT (seq) DO UPDATE SET state = excluded.state, finished_at_ms = excluded.finished_at_ms, data = excluded.data`,
      insertOutput:
        'INSERT OR IGNORE INTO output (job_id, offset, stream, attempt, ts_ms, data, size) VALUES (?, ?, ?, ?, ?, ?, ?)',
      getJob: 'SELECT data FROM jobs WHERE id = ?',
      jobState: 'SELECT state FROM jobs WHERE id = ?',
      jobByKey: 'SELECT data FROM jobs WHERE idempotency_key = ?',
      // Many keys in one statement (a JSON array): one index search each, no statement per key.
      jobsByKeys: `SELECT j.idempotency_key AS key, j.data FROM json_each(?) AS k
                   JOIN jobs AS j ON j.idempotency_key = k.value`,
      activeJobs: "SELECT data FROM jobs WHERE state IN ('PENDING', 'RUNNING') ORDER BY seq",
      outputEnd:
        'SELECT offset + coalesce(size, length(data)) AS end FROM output WHERE job_id = ? ORDER BY offset DESC LIMIT 1',
      lastSeq: "SELECT seq FROM sqlite_sequence WHERE name = 'jobs'",
      // The chunk holding `fromOffset` and every one after it.
      readOutput: `SELECT offset, stream, attempt, ts_ms, data, size FROM output
                   WHERE job_id = @jobId AND offset >= coalesce((SELECT max(offset) FROM output WHERE job_id = @jobId AND offset <= @from), 0)
                   ORDER BY offset`,
      finishedCount: FINISHED_COUNT_SQL,
      oldestFinished:
        'SELECT id, finished_at_ms FROM jobs WHERE finished_at_ms IS NOT NULL ORDER BY finished_at_ms, seq LIMIT ?',
      deleteJob: 'DELETE FROM jobs WHERE id = ? AND finished_at_ms IS NOT NULL',
      // A job whose submit failed, should the failed commit have reached the disk after all.
      forgetJob: 'DELETE FROM jobs WHERE id = ?',
      deleteOutput: 'DELETE FROM output WHERE job_id = ?',
      upsertToken: `INSERT INTO tokens (hash, name, role, created_at_ms, expires_at_ms, revoked_at_ms, last_used_at_ms, created_by, limits)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (hash) DO UPDATE SET revoked_at_ms = excluded.revoked_at_ms, last_used_at_ms = excluded.last_used_at_ms`,
      allTokens: 'SELECT * FROM tokens ORDER BY created_at_ms',
      upsertClaim: `INSERT INTO node_claims (node_id, secret_hash, token_name, claimed_at_ms) VALUES (?, ?, ?, ?)
                    ON CONFLICT (node_id) DO UPDATE SET secret_hash = excluded.secret_hash, token_name = excluded.token_name, claimed_at_ms = excluded.claimed_at_ms`,
      deleteClaim: 'DELETE FROM node_claims WHERE node_id = ?',
      allClaims: 'SELECT * FROM node_claims',
    };
    this.#statements = Object.fromEntries(Object.entries(sql).map(([name, text]) => [name, db.prepare(text)]));
  }

  #stmt(name: string): Statement {
    const statement = this.#statements[name];
    if (!statement || !this.#db) throw this.#unavailable();
    return statement;
  }

  #open(): Database.Database {
    if (!this.#db) throw this.#unavailable();
    return this.#db;
  }

  #unavailable(): UnavailableError {
    return new UnavailableError(this.#health.problem ?? 'the store is closed');
  }

  #recover(): RecoveredState {
    const activeJobs = (this.#stmt('activeJobs').all() as { data: string | Buffer }[]).map((row) =>
      decodeJob(row.data),
    );
    for (const job of activeJobs) {
      // Output is appended without rewriting the job row, so the row's length may lag behind the log.
      const end = this.#stmt('outputEnd').get(job.id) as { end: number } | undefined;
      if (end && end.end > job.outputLength) job.outputLength = end.end;
    }
    const last = this.#stmt('lastSeq').get() as { seq: number } | undefined;
    return { activeJobs, nextSeq: (last?.seq ?? 0) + 1 };
  }

  // ---- writes (buffered; SqliteGroupCommit decides when they go) ----

  #writes(): SqliteGroupCommit {
    if (!this.#writer) throw new UnavailableError('the store is not open');
    return this.#writer;
  }

  putJob(job: Job): void {
    this.#writes().putJob(job);
  }

  appendOutput(jobId: string, chunk: OutputChunk): void {
    this.#writes().appendOutput(jobId, chunk);
  }

  putToken(token: StoredToken): void {
    this.#writes().putToken(token);
  }

  putNodeClaim(claim: StoredNodeClaim): void {
    this.#writes().putNodeClaim(claim.nodeId, claim);
  }

  deleteNodeClaim(nodeId: string): void {
    this.#writes().putNodeClaim(nodeId, null);
  }

  flush(): Promise<void> {
    return this.#writer?.flush() ?? Promise.reject(new UnavailableError('the store is not open'));
  }

  whenDurable(): Promise<void> {
    return this.#writer?.whenDurable() ?? Promise.reject(new UnavailableError('the store is not open'));
  }

  /** Throws when a held file is not the one opened: a commit now would go where no one reads it again. */
  #checkFiles(): void {
    const changed = this.#files.changed();
    if (changed) throw new HeldFileChangedError(changed.path, changed.change);
  }

  /** One transaction: forgotten jobs out, the batch in, and a probe when asked. */
  #write(batch: WriteBatch, forgotten: readonly string[], probe: boolean): void {
    const db = this.#open();
    this.#checkFiles();
    const upsert = this.#stmt('upsertJob');
    const insert = this.#stmt('insertOutput');
    const forget = this.#stmt('forgetJob');
    const deleteOutput = this.#stmt('deleteOutput');
    db.transaction(() => {
      for (const id of forgotten) {
        forget.run(id);
        deleteOutput.run(id);
      }
      for (const job of batch.jobs.values()) upsert.run(...jobRowValues(job));
      for (const { jobId, chunk } of batch.output) {
        const packed = packChunk(chunk.data);
        insert.run(jobId, chunk.offset, chunk.stream, chunk.attempt, chunk.timestampMs, packed.data, packed.size);
      }
      if (batch.tokens.size || batch.claims.size) this.#writeAuth(batch.tokens, batch.claims);
      // Rewrites page 1 as it is: a write the disk must take even when the batch changes no page.
      if (probe) db.pragma(`application_id = ${APPLICATION_ID}`);
    })();
    // Deleted while it committed: the commit went to a file no one opens again.
    this.#checkFiles();
  }

  #writeAuth(tokens: ReadonlyMap<string, StoredToken>, claims: ReadonlyMap<string, StoredNodeClaim | null>): void {
    const upsertToken = this.#stmt('upsertToken');
    for (const t of tokens.values()) {
      upsertToken.run(...tokenRowValues(t));
    }
    for (const [nodeId, claim] of claims) {
      if (claim) this.#stmt('upsertClaim').run(nodeId, claim.secretHash, claim.tokenName, claim.claimedAtMs);
      else this.#stmt('deleteClaim').run(nodeId);
    }
  }

  /**
   * Before a retry: when a held file is gone, writes the database back from
   * the open connection (which still reads the deleted file), takes the lock
   * again and reopens, so that nothing acknowledged is lost. A file that
   * another took the place of is not overwritten: that failure is fatal.
   */
  #repair(): void {
    const [path, wal, lockFile] = this.#held() as [string, string, string];
    const states = { db: this.#files.state(path), wal: this.#files.state(wal), lock: this.#files.state(lockFile) };
    if (states.db === 'replaced') throw new HeldFileChangedError(path, 'replaced');
    if (states.wal === 'replaced') throw new HeldFileChangedError(wal, 'replaced');
    if (this.#db && states.db === 'held' && states.wal === 'held' && states.lock === 'held') return;
    const dir = dirname(path);
    prepareDataDir(dir);
    const lock = states.lock === 'held' && this.#lock ? this.#lock : takeLock(dir);
    try {
      if (this.#db) {
        if (states.db === 'missing') writeBack(this.#db, path);
        // The WAL alone is gone: move what it holds into the database file before the reopen makes a new one.
        else if (states.wal !== 'held') this.#db.pragma('wal_checkpoint(TRUNCATE)');
        this.#statements = {};
        const old = this.#db;
        this.#db = null;
        // The old connection holds the file's exclusive lock: it goes first.
        old.close();
      }
      const db = reopenDatabase(path);
      this.#db = db;
      this.#prepare(db);
    } catch (error) {
      if (lock !== this.#lock) lock.close();
      throw error;
    }
    if (lock !== this.#lock) {
      this.#lock?.close();
      this.#lock = lock;
    }
    this.#files.remember(this.#held());
    this.#log.warn({ path, was: states }, 'data dir files were deleted; the database is written back and in use again');
  }

  /** While nothing is written, a deleted data dir would go unnoticed until the next submit: look every second. */
  #scheduleFileCheck(): void {
    this.#checkTimer = this.#clock.setTimeout(() => {
      const writer = this.#writer;
      if (!writer) return;
      if (!writer.failing) {
        const changed = this.#files.changed();
        if (changed) writer.fail(new HeldFileChangedError(changed.path, changed.change));
      }
      this.#scheduleFileCheck();
    }, this.#options.fileCheckIntervalMs ?? DEFAULT_FILE_CHECK_INTERVAL_MS);
  }

  // ---- reads (they see every write made before them, committed or not) ----

  /** Tokens and node claims, read once at start: nothing can be buffered yet but what start itself wrote. */
  async loadAuth(): Promise<StoredAuth> {
    this.#writes().settle();
    const tokens = (this.#stmt('allTokens').all() as Record<string, unknown>[]).map((row): StoredToken => ({
      hash: String(row.hash),
      name: String(row.name),
      role: row.role as StoredToken['role'],
      createdAtMs: Number(row.created_at_ms),
      expiresAtMs: row.expires_at_ms === null ? null : Number(row.expires_at_ms),
      revokedAtMs: row.revoked_at_ms === null ? null : Number(row.revoked_at_ms),
      lastUsedAtMs: row.last_used_at_ms === null ? null : Number(row.last_used_at_ms),
      createdBy: String(row.created_by),
      limits: limitsFromJson(String(row.limits)),
    }));
    const nodeClaims = (this.#stmt('allClaims').all() as Record<string, unknown>[]).map((row): StoredNodeClaim => ({
      nodeId: String(row.node_id),
      secretHash: String(row.secret_hash),
      tokenName: String(row.token_name),
      claimedAtMs: Number(row.claimed_at_ms),
    }));
    return { tokens, nodeClaims };
  }

  // ---- reads (sqlite-reads.ts) ----

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
    // Deleting is a write too: history waits for a store that can write.
    if (!this.#writes().settle()) throw this.#unavailable();
    const db = this.#open();
    const finished = (this.#stmt('finishedCount').get() as { n: number }).n;
    const excess = Number.isFinite(keepMax) ? Math.max(0, finished - keepMax) : 0;
    const candidates = this.#stmt('oldestFinished').all(limit) as { id: string; finished_at_ms: number }[];
    const doomed = candidates
      .filter((row, i) => i < excess || row.finished_at_ms < finishedBeforeMs)
      .map((row) => row.id);
    if (doomed.length === 0) return 0;
    const deleteJob = this.#stmt('deleteJob');
    const deleteOutput = this.#stmt('deleteOutput');
    // Not fsynced on its own (history GC makes many small batches): a delete a
    // crash loses is made again by the next pass, and the next commit's fsync
    // makes it durable with that commit, the WAL being written in order.
    db.pragma('synchronous = NORMAL');
    try {
      db.transaction(() => {
        for (const id of doomed) {
          deleteJob.run(id);
          deleteOutput.run(id);
        }
      })();
      releaseFreePages(db);
    } finally {
      db.pragma('synchronous = FULL');
    }
    return doomed.length;
  }

  /** SQLite's online backup through this connection: the only one that may read the file while it is open. */
  async backup(destination: string): Promise<void> {
    await this.#open().backup(destination);
  }

  async close(): Promise<void> {
    this.#checkTimer?.cancel();
    this.#checkTimer = null;
    this.#writer?.close();
    this.#statements = {};
    this.#reads.forget();
    try {
      this.#db?.close();
    } finally {
      this.#lock?.close();
      this.#db = null;
      this.#lock = null;
    }
  }
}

export { StoreUnusableError };
