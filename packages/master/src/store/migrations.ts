import type BetterSqlite3 from 'better-sqlite3';

/** One step of the schema. Steps run in order, each in its own transaction, and are never edited once released. */
export interface Migration {
  /** The schema version after this step (1, 2, 3, …; `PRAGMA user_version`). */
  version: number;
  description: string;
  up(db: BetterSqlite3.Database): void;
}

/** Marks a file as ours (`PRAGMA application_id`), so we never mistake another program's database for an empty store. */
export const APPLICATION_ID = 0x44584543; // "DXEC"

/** How many of a job id's last characters the suffix index holds (the UUID's last group). */
export const ID_TAIL_LENGTH = 12;

/**
 * A job id's last ID_TAIL_LENGTH characters, reversed, written with SQLite's
 * own substr (no function of ours, so any sqlite3 can read and check the
 * file): the index on it turns "ids ending in 7f3a" into a range scan.
 * Queries must use this exact text for SQLite to use the index.
 */
export const REVERSED_ID_TAIL = Array.from({ length: ID_TAIL_LENGTH }, (_, i) => `substr(id, ${36 - i}, 1)`).join(
  ' || ',
);

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'jobs and their output',
    up(db) {
      db.exec(`
        -- One row per job. The job is kept whole as JSON in "data"; the other
        -- columns exist to find, order and page through jobs without parsing it.
        -- AUTOINCREMENT keeps submit numbers unique even after GC deletes the newest job.
        CREATE TABLE jobs (
          seq             INTEGER PRIMARY KEY AUTOINCREMENT,
          id              TEXT    NOT NULL UNIQUE,
          state           TEXT    NOT NULL,
          idempotency_key TEXT,
          created_at_ms   INTEGER NOT NULL,
          finished_at_ms  INTEGER,
          data            TEXT    NOT NULL
        );
        CREATE INDEX jobs_by_state ON jobs (state, seq);
        CREATE UNIQUE INDEX jobs_by_idempotency_key ON jobs (idempotency_key) WHERE idempotency_key IS NOT NULL;
        CREATE INDEX jobs_by_finish ON jobs (finished_at_ms) WHERE finished_at_ms IS NOT NULL;

        -- A job's output log: chunks addressed by their byte offset in the log
        -- (both streams, all attempts). A rowid table, not WITHOUT ROWID: chunks
        -- are often kilobytes, which a clustered index stores several times larger.
        CREATE TABLE output (
          job_id  TEXT    NOT NULL,
          offset  INTEGER NOT NULL,
          stream  TEXT    NOT NULL CHECK (stream IN ('stdout', 'stderr')),
          attempt INTEGER NOT NULL,
          ts_ms   INTEGER NOT NULL,
          data    BLOB    NOT NULL
        );
        CREATE UNIQUE INDEX output_by_offset ON output (job_id, offset);
      `);
    },
  },
  {
    version: 2,
    description: 'tokens and node claims',
    up(db) {
      db.exec(`
        -- Who may call the master. Only the SHA-256 of each token is kept; its
        -- secret was shown once, when it was made. Revoked tokens stay (audit
        -- records name them), and their names may be taken again.
        CREATE TABLE tokens (
          hash            TEXT    PRIMARY KEY,
          name            TEXT    NOT NULL,
          role            TEXT    NOT NULL CHECK (role IN ('admin', 'submit', 'read', 'worker')),
          created_at_ms   INTEGER NOT NULL,
          expires_at_ms   INTEGER,
          revoked_at_ms   INTEGER,
          last_used_at_ms INTEGER,
          created_by      TEXT    NOT NULL
        ) WITHOUT ROWID;
        CREATE UNIQUE INDEX tokens_by_live_name ON tokens (name) WHERE revoked_at_ms IS NULL;

        -- Which worker holds each node id: the SHA-256 of the node secret it was given.
        CREATE TABLE node_claims (
          node_id       TEXT    PRIMARY KEY,
          secret_hash   TEXT    NOT NULL,
          token_name    TEXT    NOT NULL,
          claimed_at_ms INTEGER NOT NULL
        ) WITHOUT ROWID;
      `);
    },
  },
  {
    version: 3,
    description: 'limits of tokens',
    up(db) {
      // Quotas, rate limit and command rules of each token, as JSON (TokenLimits); '{}' = none.
      db.exec(`ALTER TABLE tokens ADD COLUMN limits TEXT NOT NULL DEFAULT '{}';`);
    },
  },
  {
    version: 4,
    description: 'job ids by their end',
    up(db) {
      // Short ids: a prefix of an id is a range of the id's own index; a suffix one of this one.
      db.exec(`CREATE INDEX jobs_by_id_tail ON jobs (${REVERSED_ID_TAIL})`);
    },
  },
  {
    version: 5,
    description: 'counts of jobs by state, kept by triggers',
    up(db) {
      db.exec(`
        -- How many jobs are in each state, so a total count is one lookup
        -- instead of a scan of the whole history. The triggers keep it in the
        -- transaction of every write, as PostgreSQL's store keeps its own.
        CREATE TABLE job_counts (
          state TEXT    PRIMARY KEY,
          n     INTEGER NOT NULL
        ) WITHOUT ROWID;
        INSERT INTO job_counts (state, n) SELECT state, count(*) FROM jobs GROUP BY state;
        CREATE TRIGGER jobs_counted_on_insert AFTER INSERT ON jobs BEGIN
          INSERT INTO job_counts (state, n) VALUES (NEW.state, 1) ON CONFLICT (state) DO UPDATE SET n = n + 1;
        END;
        CREATE TRIGGER jobs_counted_on_update AFTER UPDATE OF state ON jobs WHEN OLD.state IS NOT NEW.state BEGIN
          UPDATE job_counts SET n = n - 1 WHERE state = OLD.state;
          INSERT INTO job_counts (state, n) VALUES (NEW.state, 1) ON CONFLICT (state) DO UPDATE SET n = n + 1;
        END;
        CREATE TRIGGER jobs_counted_on_delete AFTER DELETE ON jobs BEGIN
          UPDATE job_counts SET n = n - 1 WHERE state = OLD.state;
        END;
      `);
    },
  },
  {
    version: 6,
    description: 'packed output chunks',
    up(db) {
      // A chunk's length before it was packed (output-packing.ts); null: stored as it came.
      db.exec('ALTER TABLE output ADD COLUMN size INTEGER');
    },
  },
];

/** The schema version a store file has (0 = new and empty). */
export function schemaVersion(db: BetterSqlite3.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

export function latestVersion(migrations: readonly Migration[]): number {
  return migrations.reduce((max, m) => Math.max(max, m.version), 0);
}

export class NewerSchemaError extends Error {
  override readonly name = 'NewerSchemaError';
  constructor(
    readonly found: number,
    readonly supported: number,
  ) {
    super(
      `its schema version ${found} is newer than this master understands (${supported}); run a newer dist-exec, or restore a backup`,
    );
  }
}

/**
 * Brings the schema up to the latest version, one transaction per step, so a
 * crash mid-way leaves the file at the last completed version. Returns the
 * versions applied. Refuses a file from a newer version rather than guessing.
 */
export function migrate(db: BetterSqlite3.Database, migrations: readonly Migration[] = MIGRATIONS): number[] {
  const latest = latestVersion(migrations);
  const current = schemaVersion(db);
  if (current > latest) throw new NewerSchemaError(current, latest);
  const applied: number[] = [];
  const steps = [...migrations].sort((a, b) => a.version - b.version).filter((m) => m.version > current);
  for (const step of steps) {
    db.transaction(() => {
      step.up(db);
      db.pragma(`user_version = ${step.version}`);
      db.pragma(`application_id = ${APPLICATION_ID}`);
    })();
    applied.push(step.version);
  }
  return applied;
}
