import type Database from 'better-sqlite3';
import {
  errorMessage,
  UnavailableError,
  type Job,
  type JobState,
  type OutputChunk,
  type OutputStreamName,
} from '@dist-exec/core';
import type { Logger } from 'pino';
import { describeFailure, openDatabase, StoreUnusableError } from './database-file.js';
import { decodeJob, jobRowValues } from './job-codec.js';
import type { Migration } from './migrations.js';
import { countSql, FINISHED_COUNT_SQL, pageParams, pageSql, releaseFreePages } from './sqlite-history.js';
import {
  chunksFrom,
  type HistoryPrune,
  type JobPage,
  type JobPageQuery,
  type RecoveredState,
  type Store,
  type StoredAuth,
  type StoredNodeClaim,
  type StoredToken,
} from './store.js';

export interface SqliteStoreOptions {
  /** Directory of the store file; created when missing. */
  dataDir: string;
  logger: Logger;
  /** Schema steps (tests pass their own). @default MIGRATIONS */
  migrations?: readonly Migration[];
  /**
   * Longest a write that nobody awaits (an attempt started, output, a result
   * the worker still holds) stays buffered before it is committed; a
   * `flush()` commits it at once. @default 100
   */
  lazyCommitMs?: number;
}

export const DEFAULT_LAZY_COMMIT_MS = 100;

interface Waiter {
  resolve(): void;
  reject(error: Error): void;
}

interface OutputRow {
  offset: number;
  stream: OutputStreamName;
  attempt: number;
  ts_ms: number;
  data: Buffer;
}

type Statement = Database.Statement<unknown[], unknown>;

/**
 * The embedded, durable store (`--store sqlite`): one SQLite file in WAL mode
 * with synchronous=FULL, so a commit is on disk when it returns.
 *
 * Group commit: writes are buffered, and a `flush()` commits everything
 * buffered in one transaction (one fsync) on the next `setImmediate`, so all
 * the flushes of one event-loop turn share it. While that fsync blocks the
 * loop, new requests queue up in the sockets, so under load each commit
 * carries a whole burst. `flush()` resolves once the commit holding the
 * caller's writes is done; that is when a submit is acknowledged, an attempt
 * sent (write-ahead) or a result acknowledged to its worker.
 *
 * Writes nobody awaits do not ask for a commit of their own: they ride along
 * with the next flush, or are committed `lazyCommitMs` after the first of
 * them. What a crash can lose that way is recovered from the workers, which
 * keep every result and the output of running attempts until the master
 * acknowledges them (after a flush), and replay output from the offset the
 * store has. A job's timeline thus costs one fsync per awaited step (submit,
 * dispatch, acknowledged result) instead of one per event.
 *
 * A failed commit is fatal for the store (as Postgres panics on a failed
 * fsync): it cannot know what reached the disk, so every later flush fails and
 * nothing more is acknowledged; a restart recovers from the last good commit.
 */
export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  readonly #options: SqliteStoreOptions;
  readonly #log: Logger;
  #db: Database.Database | null = null;
  #lock: Database.Database | null = null;
  #path = '';
  #statements: Record<string, Statement> = {};
  /** Buffered writes: the latest version of each changed job, and new output chunks. */
  #jobs = new Map<string, Job>();
  #byKey = new Map<string, Job>();
  #output: { jobId: string; chunk: OutputChunk }[] = [];
  /** Buffered token rows by hash, and node claims by node id (null: delete it). */
  #tokens = new Map<string, StoredToken>();
  #claims = new Map<string, StoredNodeClaim | null>();
  #waiters: Waiter[] = [];
  /** Something is buffered (a commit is due, by the lazy timer at the latest). */
  #scheduled = false;
  #immediate = false;
  #lazyTimer: NodeJS.Timeout | null = null;
  #failure: Error | null = null;
  #commits = 0;

  constructor(options: SqliteStoreOptions) {
    this.#options = options;
    this.#log = options.logger.child({ component: 'store' });
  }

  /** Transactions committed so far (each one fsync): fewer than writes when group commit works. */
  get commits(): number {
    return this.#commits;
  }

  get problem(): string | null {
    return this.#failure?.message ?? null;
  }

  get location(): string {
    return this.#path || this.#options.dataDir;
  }

  async open(): Promise<RecoveredState> {
    if (this.#db) throw new Error('the store is already open');
    const opened = openDatabase(this.#options.dataDir, this.#options.migrations);
    this.#db = opened.db;
    this.#lock = opened.lock;
    this.#path = opened.path;
    try {
      this.#prepare(opened.db);
      const recovered = this.#recover();
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
        'INSERT OR IGNORE INTO output (job_id, offset, stream, attempt, ts_ms, data) VALUES (?, ?, ?, ?, ?, ?)',
      getJob: 'SELECT data FROM jobs WHERE id = ?',
      jobByKey: 'SELECT data FROM jobs WHERE idempotency_key = ?',
      // Many keys in one statement (a JSON array): one index search each, no statement per key.
      jobsByKeys: `SELECT j.idempotency_key AS key, j.data FROM json_each(?) AS k
                   JOIN jobs AS j ON j.idempotency_key = k.value`,
      activeJobs: "SELECT data FROM jobs WHERE state IN ('PENDING', 'RUNNING') ORDER BY seq",
      outputEnd: 'SELECT offset + length(data) AS end FROM output WHERE job_id = ? ORDER BY offset DESC LIMIT 1',
      lastSeq: "SELECT seq FROM sqlite_sequence WHERE name = 'jobs'",
      // The chunk holding `fromOffset` and every one after it.
      readOutput: `SELECT offset, stream, attempt, ts_ms, data FROM output
                   WHERE job_id = @jobId AND offset >= coalesce((SELECT max(offset) FROM output WHERE job_id = @jobId AND offset <= @from), 0)
                   ORDER BY offset`,
      finishedCount: FINISHED_COUNT_SQL,
      oldestFinished:
        'SELECT id, finished_at_ms FROM jobs WHERE finished_at_ms IS NOT NULL ORDER BY finished_at_ms, seq LIMIT ?',
      deleteJob: 'DELETE FROM jobs WHERE id = ? AND finished_at_ms IS NOT NULL',
      deleteOutput: 'DELETE FROM output WHERE job_id = ?',
      upsertToken: `INSERT INTO tokens (hash, name, role, created_at_ms, expires_at_ms, revoked_at_ms, last_used_at_ms, created_by)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
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
    if (!statement || !this.#db) throw new UnavailableError('the store is closed');
    return statement;
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

  // ---- buffered writes and group commit ----

  putToken(token: StoredToken): void {
    if (this.#failure) return;
    this.#tokens.set(token.hash, { ...token });
    this.#buffered();
  }

  putNodeClaim(claim: StoredNodeClaim): void {
    if (this.#failure) return;
    this.#claims.set(claim.nodeId, { ...claim });
    this.#buffered();
  }

  deleteNodeClaim(nodeId: string): void {
    if (this.#failure) return;
    this.#claims.set(nodeId, null);
    this.#buffered();
  }

  putJob(job: Job): void {
    if (this.#failure) return;
    this.#jobs.set(job.id, job);
    if (job.spec.idempotencyKey) this.#byKey.set(job.spec.idempotencyKey, job);
    this.#buffered();
  }

  appendOutput(jobId: string, chunk: OutputChunk): void {
    if (this.#failure) return;
    this.#output.push({ jobId, chunk });
    this.#buffered();
  }

  flush(): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (!this.#scheduled) return Promise.resolve();
    if (!this.#immediate) {
      this.#immediate = true;
      setImmediate(() => this.#commit());
    }
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  whenDurable(): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (!this.#scheduled) return Promise.resolve();
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  #buffered(): void {
    if (this.#scheduled || this.#failure) return;
    this.#scheduled = true;
    this.#lazyTimer = setTimeout(() => this.#commit(), this.#options.lazyCommitMs ?? DEFAULT_LAZY_COMMIT_MS);
    this.#lazyTimer.unref();
  }

  /** Writes everything buffered in one transaction. Also called before reads that go to SQL. */
  #commit(): void {
    this.#immediate = false;
    if (this.#lazyTimer) clearTimeout(this.#lazyTimer);
    this.#lazyTimer = null;
    if (!this.#scheduled) return;
    this.#scheduled = false;
    const waiters = this.#waiters;
    const jobs = this.#jobs;
    const output = this.#output;
    const tokens = this.#tokens;
    const claims = this.#claims;
    this.#waiters = [];
    this.#jobs = new Map();
    this.#byKey = new Map();
    this.#output = [];
    if (tokens.size) this.#tokens = new Map();
    if (claims.size) this.#claims = new Map();
    try {
      const db = this.#db;
      if (!db) throw new UnavailableError('the store is closed');
      const upsert = this.#stmt('upsertJob');
      const insert = this.#stmt('insertOutput');
      db.transaction(() => {
        for (const job of jobs.values()) upsert.run(...jobRowValues(job));
        for (const { jobId, chunk } of output) {
          insert.run(
            jobId,
            chunk.offset,
            chunk.stream,
            chunk.attempt,
            chunk.timestampMs,
            Buffer.from(chunk.data.buffer, chunk.data.byteOffset, chunk.data.byteLength),
          );
        }
        if (tokens.size || claims.size) this.#writeAuth(tokens, claims);
      })();
      this.#commits += 1;
    } catch (error) {
      this.#failure = new UnavailableError(
        `the store cannot write to ${this.#path}: ${errorMessage(error)}; restart the master`,
        { cause: error },
      );
      this.#log.fatal(
        { err: error, path: this.#path, lostJobs: jobs.size, lostChunks: output.length },
        'store commit failed; no more writes are acknowledged',
      );
      for (const waiter of waiters) waiter.reject(this.#failure);
      return;
    }
    for (const waiter of waiters) waiter.resolve();
  }

  #writeAuth(tokens: ReadonlyMap<string, StoredToken>, claims: ReadonlyMap<string, StoredNodeClaim | null>): void {
    const upsertToken = this.#stmt('upsertToken');
    for (const t of tokens.values()) {
      upsertToken.run(t.hash, t.name, t.role, t.createdAtMs, t.expiresAtMs, t.revokedAtMs, t.lastUsedAtMs, t.createdBy);
    }
    for (const [nodeId, claim] of claims) {
      if (claim) this.#stmt('upsertClaim').run(nodeId, claim.secretHash, claim.tokenName, claim.claimedAtMs);
      else this.#stmt('deleteClaim').run(nodeId);
    }
  }

  // ---- reads (they see every write made before them, committed or not) ----

  async loadAuth(): Promise<StoredAuth> {
    this.#commit();
    const tokens = (this.#stmt('allTokens').all() as Record<string, unknown>[]).map((row): StoredToken => ({
      hash: String(row.hash),
      name: String(row.name),
      role: row.role as StoredToken['role'],
      createdAtMs: Number(row.created_at_ms),
      expiresAtMs: row.expires_at_ms === null ? null : Number(row.expires_at_ms),
      revokedAtMs: row.revoked_at_ms === null ? null : Number(row.revoked_at_ms),
      lastUsedAtMs: row.last_used_at_ms === null ? null : Number(row.last_used_at_ms),
      createdBy: String(row.created_by),
    }));
    const nodeClaims = (this.#stmt('allClaims').all() as Record<string, unknown>[]).map((row): StoredNodeClaim => ({
      nodeId: String(row.node_id),
      secretHash: String(row.secret_hash),
      tokenName: String(row.token_name),
      claimedAtMs: Number(row.claimed_at_ms),
    }));
    return { tokens, nodeClaims };
  }

  async getJob(id: string): Promise<Job | undefined> {
    const pending = this.#jobs.get(id);
    if (pending) return pending;
    const row = this.#stmt('getJob').get(id) as { data: string | Buffer } | undefined;
    return row ? decodeJob(row.data) : undefined;
  }

  async findJobByIdempotencyKey(key: string): Promise<Job | undefined> {
    const pending = this.#byKey.get(key);
    if (pending) return pending;
    const row = this.#stmt('jobByKey').get(key) as { data: string | Buffer } | undefined;
    return row ? decodeJob(row.data) : undefined;
  }

  async findJobsByIdempotencyKeys(keys: readonly string[]): Promise<Map<string, Job>> {
    const found = new Map<string, Job>();
    const unwritten: string[] = [];
    for (const key of keys) {
      const pending = this.#byKey.get(key);
      if (pending) found.set(key, pending);
      else unwritten.push(key);
    }
    if (unwritten.length === 0) return found;
    const rows = this.#stmt('jobsByKeys').all(JSON.stringify(unwritten)) as { key: string; data: string | Buffer }[];
    for (const row of rows) found.set(row.key, decodeJob(row.data));
    return found;
  }

  /** Statements whose text depends on the number of states asked for, prepared once each. */
  #byText = new Map<string, Statement>();

  #cached(text: string): Statement {
    let statement = this.#byText.get(text);
    if (!statement) {
      statement = this.#open().prepare(text);
      this.#byText.set(text, statement);
    }
    return statement;
  }

  async listJobs(query: JobPageQuery): Promise<JobPage> {
    this.#commit();
    const states = [...new Set(query.states)];
    // Tokens are submit sequence numbers: stable while jobs are added or deleted.
    const before = query.pageToken ? Number(query.pageToken) : Number.MAX_SAFE_INTEGER;
    const rows = this.#cached(pageSql(states.length)).all(...pageParams(states, before, query.pageSize + 1)) as {
      seq: number;
      data: string | Buffer;
    }[];
    const more = rows.length > query.pageSize;
    const page = more ? rows.slice(0, query.pageSize) : rows;
    const total = this.#cached(countSql(states.length)).get(...states) as { n: number };
    return {
      jobs: page.map((row) => decodeJob(row.data)),
      nextPageToken: more ? String(page[page.length - 1]?.seq) : '',
      totalCount: total.n,
    };
  }

  async countJobs(states: readonly JobState[]): Promise<number> {
    this.#commit();
    const unique = [...new Set(states)];
    return (this.#cached(countSql(unique.length)).get(...unique) as { n: number }).n;
  }

  async readOutput(jobId: string, fromOffset: number): Promise<OutputChunk[]> {
    this.#commit();
    const rows = this.#stmt('readOutput').all({ jobId, from: fromOffset }) as OutputRow[];
    const chunks = rows.map((row) => ({
      offset: row.offset,
      stream: row.stream,
      attempt: row.attempt,
      timestampMs: row.ts_ms,
      data: new Uint8Array(row.data),
    }));
    return chunksFrom(chunks, fromOffset);
  }

  async deleteFinishedJobs({ finishedBeforeMs, keepMax, limit }: HistoryPrune): Promise<number> {
    this.#commit();
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
    db.transaction(() => {
      for (const id of doomed) {
        deleteJob.run(id);
        deleteOutput.run(id);
      }
    })();
    releaseFreePages(db);
    return doomed.length;
  }

  #open(): Database.Database {
    if (!this.#db) throw new UnavailableError('the store is closed');
    return this.#db;
  }

  async close(): Promise<void> {
    if (this.#scheduled && !this.#failure && this.#db) this.#commit();
    for (const waiter of this.#waiters.splice(0)) waiter.reject(new UnavailableError('the store is closed'));
    this.#scheduled = false;
    if (this.#lazyTimer) clearTimeout(this.#lazyTimer);
    this.#lazyTimer = null;
    this.#statements = {};
    this.#byText.clear();
    this.#db?.close();
    this.#lock?.close();
    this.#db = null;
    this.#lock = null;
  }
}

export { StoreUnusableError };
