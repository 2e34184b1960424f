import type { PoolClient } from 'pg';
import { NewerSchemaError } from './migrations.js';

/**
 * The PostgreSQL store's schema and its migrations. Everything lives in one
 * schema, `dist_exec`, so the store can share a database with other programs;
 * `dist_exec.meta` says which program made it and at which version.
 */

/** The PostgreSQL schema (namespace) of every table. */
export const PG_SCHEMA = 'dist_exec';

/** Written to `meta.application`: a `dist_exec` schema without it is not ours. */
export const PG_APPLICATION = 'dist-exec';

/**
 * Advisory lock keys (two int4s: "DXEC", then what is locked). Transaction
 * locks serialise migrations between masters starting together; the session
 * lock marks the one master that owns the store (until leases come).
 */
export const LOCK_CLASS = 0x44584543;
export const MIGRATION_LOCK = 1;
export const OWNER_LOCK = 2;
/** Class of the writer locks ("DXED", then a number per store instance): see dist_exec.commit_writes. */
export const WRITER_LOCK_CLASS = 0x44584544;
/** The SQLSTATE dist_exec.commit_writes raises when the epoch it was given no longer holds the lease. */
export const LEASE_LOST_SQLSTATE = 'DXL01';

/** One step of the schema: SQL run in its own transaction, never edited once released. */
export interface PostgresMigration {
  /** The schema version after this step (1, 2, 3, …; `dist_exec.meta.schema_version`). */
  version: number;
  description: string;
  sql: string;
}

export const POSTGRES_MIGRATIONS: readonly PostgresMigration[] = [
  {
    version: 1,
    description: 'jobs, their output, counts by state, and the group commit',
    sql: `
      CREATE SCHEMA IF NOT EXISTS dist_exec;

      -- Which program made this schema and at which version; and the highest
      -- submit number history GC ever deleted, so a number is never reused.
      CREATE TABLE dist_exec.meta (
        singleton      boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        application    text    NOT NULL,
        schema_version integer NOT NULL,
        seq_floor      bigint  NOT NULL DEFAULT 0
      );
      INSERT INTO dist_exec.meta (application, schema_version) VALUES ('${PG_APPLICATION}', 0);

      -- One row per job, kept whole in "data" (the job as the SQLite store
      -- keeps it; json, not jsonb: stored as written, which costs a third less
      -- to insert); the other columns find, order and page through jobs.
      -- "seq" is the submit number; "id" the job's identity, which upserts match on.
      CREATE TABLE dist_exec.jobs (
        seq             bigint PRIMARY KEY,
        id              text   NOT NULL UNIQUE,
        state           text   NOT NULL,
        idempotency_key text,
        created_at_ms   bigint NOT NULL,
        finished_at_ms  bigint,
        data            json   NOT NULL
      );
      -- Pages of one state walk this index backwards from the page token.
      CREATE INDEX jobs_by_state ON dist_exec.jobs (state, seq);
      CREATE UNIQUE INDEX jobs_by_idempotency_key ON dist_exec.jobs (idempotency_key)
        WHERE idempotency_key IS NOT NULL;
      -- History GC takes the jobs that finished first from the front of this one.
      CREATE INDEX jobs_by_finish ON dist_exec.jobs (finished_at_ms, seq) WHERE finished_at_ms IS NOT NULL;

      -- A job's output log: chunks addressed by their byte offset in the log
      -- (both streams, all attempts).
      CREATE TABLE dist_exec.output (
        job_id      text    NOT NULL,
        byte_offset bigint  NOT NULL,
        stream      text    NOT NULL CHECK (stream IN ('stdout', 'stderr')),
        attempt     integer NOT NULL,
        ts_ms       bigint  NOT NULL,
        data        bytea   NOT NULL,
        PRIMARY KEY (job_id, byte_offset)
      );

      -- Jobs by state, so that counts (a page's total, the snapshot, metrics)
      -- read a handful of rows, not the table. Every statement that adds,
      -- changes or deletes jobs adds its change here in the same transaction
      -- (commit_writes, and history GC), states in a fixed order, so two
      -- writers lock counter rows in the same order.
      CREATE TABLE dist_exec.job_counts (
        state text   PRIMARY KEY,
        n     bigint NOT NULL
      );

      -- A group commit, in one call (one round trip, one transaction): jobs
      -- upserted by id, with the counts they change; output chunks appended;
      -- and the jobs of failed submits deleted first. Jobs come as parallel
      -- arrays of their columns beside a JSON array of their data, zipped by
      -- ROWS FROM (four times cheaper to take apart than json_to_recordset).
      -- The writer's lock makes it wait for the same writer's previous commit,
      -- should that one still be running after its connection was lost:
      -- whatever it wrote has then landed, and the deletes find it.
      CREATE FUNCTION dist_exec.commit_writes(
        p_seq bigint[], p_id text[], p_state text[], p_key text[], p_created bigint[], p_finished bigint[], p_data json,
        o_job text[], o_offset bigint[], o_stream text[], o_attempt integer[], o_ts bigint[], o_data text[],
        p_forgotten text[], p_writer integer
      ) RETURNS void LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_advisory_xact_lock(${WRITER_LOCK_CLASS}, p_writer);
        IF cardinality(p_forgotten) > 0 THEN
          DELETE FROM dist_exec.output WHERE job_id = ANY (p_forgotten);
          WITH gone AS (
            DELETE FROM dist_exec.jobs WHERE id = ANY (p_forgotten) RETURNING state
          )
          INSERT INTO dist_exec.job_counts AS c (state, n)
            SELECT state, -count(*) FROM gone GROUP BY state ORDER BY state
            ON CONFLICT (state) DO UPDATE SET n = c.n + excluded.n;
        END IF;
        IF cardinality(p_id) > 0 THEN
          -- The states before come from the statement's snapshot, taken before its upsert.
          WITH input AS (
            SELECT * FROM ROWS FROM (unnest(p_seq, p_id, p_state, p_key, p_created, p_finished), json_array_elements(p_data))
              AS r(seq, id, state, idempotency_key, created_at_ms, finished_at_ms, data)
          ), before AS (
            SELECT j.state FROM dist_exec.jobs AS j JOIN input USING (id)
          ), upserted AS (
            INSERT INTO dist_exec.jobs AS j (seq, id, state, idempotency_key, created_at_ms, finished_at_ms, data)
              SELECT seq, id, state, idempotency_key, created_at_ms, finished_at_ms, data FROM input
              ON CONFLICT (id) DO UPDATE
                SET state = excluded.state, finished_at_ms = excluded.finished_at_ms, data = excluded.data
              RETURNING j.state
          )
          INSERT INTO dist_exec.job_counts AS c (state, n)
            SELECT state, sum(delta) FROM (
              SELECT state, 1 AS delta FROM upserted
              UNION ALL
              SELECT state, -1 FROM before
            ) AS changes GROUP BY state HAVING sum(delta) <> 0 ORDER BY state
            ON CONFLICT (state) DO UPDATE SET n = c.n + excluded.n;
        END IF;
        IF cardinality(o_job) > 0 THEN
          INSERT INTO dist_exec.output (job_id, byte_offset, stream, attempt, ts_ms, data)
            SELECT job_id, byte_offset, stream, attempt, ts_ms, decode(data, 'base64')
            FROM unnest(o_job, o_offset, o_stream, o_attempt, o_ts, o_data)
              AS r(job_id, byte_offset, stream, attempt, ts_ms, data)
            ON CONFLICT (job_id, byte_offset) DO NOTHING;
        END IF;
      END $$;
    `,
  },
  {
    version: 2,
    description: 'tokens and node claims',
    sql: `
      -- Who may call the master. Only the SHA-256 of each token is kept; its
      -- secret was shown once, when it was made. Revoked tokens stay (audit
      -- records name them), and their names may be taken again.
      CREATE TABLE dist_exec.tokens (
        hash            text   PRIMARY KEY,
        name            text   NOT NULL,
        role            text   NOT NULL CHECK (role IN ('admin', 'submit', 'read', 'worker')),
        created_at_ms   bigint NOT NULL,
        expires_at_ms   bigint,
        revoked_at_ms   bigint,
        last_used_at_ms bigint,
        created_by      text   NOT NULL
      );
      CREATE UNIQUE INDEX tokens_by_live_name ON dist_exec.tokens (name) WHERE revoked_at_ms IS NULL;

      -- Which worker holds each node id: the SHA-256 of the node secret it was given.
      CREATE TABLE dist_exec.node_claims (
        node_id       text   PRIMARY KEY,
        secret_hash   text   NOT NULL,
        token_name    text   NOT NULL,
        claimed_at_ms bigint NOT NULL
      );
    `,
  },
  {
    version: 3,
    description: 'limits of tokens',
    sql: `
      -- Quotas, rate limit and command rules of each token, as JSON (TokenLimits); '{}' = none.
      ALTER TABLE dist_exec.tokens ADD COLUMN limits text NOT NULL DEFAULT '{}';
    `,
  },
  {
    version: 4,
    description: 'job ids by their start and their end',
    sql: `
      -- Short ids: a prefix of an id, or of its reverse (a suffix), is a range of
      -- one of these (text_pattern_ops: compared byte by byte, whatever the collation).
      CREATE INDEX jobs_by_id_pattern ON dist_exec.jobs (id text_pattern_ops);
      CREATE INDEX jobs_by_reversed_id ON dist_exec.jobs (reverse(id) text_pattern_ops);
    `,
  },
  {
    version: 5,
    description: 'leadership: the lease row, the masters, and commits fenced by the epoch',
    sql: `
      -- Who leads the masters sharing this database. Taken when it has expired
      -- (epoch + 1), renewed by its holder (a master process) and epoch, on
      -- the database's clock; ttl_ms is the holder's --lease-ttl.
      CREATE TABLE dist_exec.lease (
        singleton    boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
        holder       text,
        address      text        NOT NULL DEFAULT '',
        epoch        bigint      NOT NULL DEFAULT 0,
        ttl_ms       integer     NOT NULL DEFAULT 10000,
        acquired_at  timestamptz,
        renewed_at   timestamptz,
        expires_at   timestamptz NOT NULL DEFAULT '-infinity'
      );
      INSERT INTO dist_exec.lease DEFAULT VALUES;

      -- Every master that shares the database, leader or not: for the views.
      CREATE TABLE dist_exec.masters (
        id         text        PRIMARY KEY,
        address    text        NOT NULL,
        -- Its HTTP port's host:port: followers forward HTTP API requests to the leader's.
        http_address text      NOT NULL DEFAULT '',
        started_at timestamptz NOT NULL DEFAULT now(),
        seen_at    timestamptz NOT NULL DEFAULT now()
      );

      DROP FUNCTION dist_exec.commit_writes(
        bigint[], text[], text[], text[], bigint[], bigint[], json,
        text[], bigint[], text[], integer[], bigint[], text[], text[], integer);
      CREATE FUNCTION dist_exec.commit_writes(
        p_seq bigint[], p_id text[], p_state text[], p_key text[], p_created bigint[], p_finished bigint[], p_data json,
        o_job text[], o_offset bigint[], o_stream text[], o_attempt integer[], o_ts bigint[], o_data text[],
        p_forgotten text[], p_writer integer, p_epoch bigint
      ) RETURNS void LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_advisory_xact_lock(${WRITER_LOCK_CLASS}, p_writer);
        -- Fencing: a leader writes only under the epoch it holds. FOR SHARE
        -- makes a master taking the lease wait for this commit (and this
        -- commit wait for the take): a commit either lands before the new
        -- leader reads the database, or fails.
        IF p_epoch > 0 THEN
          PERFORM 1 FROM dist_exec.lease WHERE epoch = p_epoch FOR SHARE;
          IF NOT FOUND THEN
            RAISE EXCEPTION 'the lease of epoch % was taken by another master', p_epoch USING ERRCODE = '${LEASE_LOST_SQLSTATE}';
          END IF;
        END IF;
        IF cardinality(p_forgotten) > 0 THEN
          DELETE FROM dist_exec.output WHERE job_id = ANY (p_forgotten);
          WITH gone AS (
            DELETE FROM dist_exec.jobs WHERE id = ANY (p_forgotten) RETURNING state
          )
          INSERT INTO dist_exec.job_counts AS c (state, n)
            SELECT state, -count(*) FROM gone GROUP BY state ORDER BY state
            ON CONFLICT (state) DO UPDATE SET n = c.n + excluded.n;
        END IF;
        IF cardinality(p_id) > 0 THEN
          -- The states before come from the statement's snapshot, taken before its upsert.
          WITH input AS (
            SELECT * FROM ROWS FROM (unnest(p_seq, p_id, p_state, p_key, p_created, p_finished), json_array_elements(p_data))
              AS r(seq, id, state, idempotency_key, created_at_ms, finished_at_ms, data)
          ), before AS (
            SELECT j.state FROM dist_exec.jobs AS j JOIN input USING (id)
          ), upserted AS (
            INSERT INTO dist_exec.jobs AS j (seq, id, state, idempotency_key, created_at_ms, finished_at_ms, data)
              SELECT seq, id, state, idempotency_key, created_at_ms, finished_at_ms, data FROM input
              ON CONFLICT (id) DO UPDATE
                SET state = excluded.state, finished_at_ms = excluded.finished_at_ms, data = excluded.data
              RETURNING j.state
          )
          INSERT INTO dist_exec.job_counts AS c (state, n)
            SELECT state, sum(delta) FROM (
              SELECT state, 1 AS delta FROM upserted
              UNION ALL
              SELECT state, -1 FROM before
            ) AS changes GROUP BY state HAVING sum(delta) <> 0 ORDER BY state
            ON CONFLICT (state) DO UPDATE SET n = c.n + excluded.n;
        END IF;
        IF cardinality(o_job) > 0 THEN
          INSERT INTO dist_exec.output (job_id, byte_offset, stream, attempt, ts_ms, data)
            SELECT job_id, byte_offset, stream, attempt, ts_ms, decode(data, 'base64')
            FROM unnest(o_job, o_offset, o_stream, o_attempt, o_ts, o_data)
              AS r(job_id, byte_offset, stream, attempt, ts_ms, data)
            ON CONFLICT (job_id, byte_offset) DO NOTHING;
        END IF;
      END $$;
    `,
  },
  {
    version: 6,
    description: "finished jobs' rows compacted, output chunks packed",
    sql: `
      -- A finished job is kept for days and never changes again: its row holds
      -- it compacted (job-compaction.ts, as the SQLite store's: about 150
      -- bytes instead of 1 KB of JSON) in "packed", and "data" is null. An
      -- active job, rewritten at every step, stays JSON in "data". Rows
      -- written before stay as they are, and read.
      ALTER TABLE dist_exec.jobs ALTER COLUMN data DROP NOT NULL;
      ALTER TABLE dist_exec.jobs ADD COLUMN packed bytea;
      -- An output chunk's length before it was packed (output-packing.ts); null: stored as it came.
      ALTER TABLE dist_exec.output ADD COLUMN size integer;

      DROP FUNCTION dist_exec.commit_writes(
        bigint[], text[], text[], text[], bigint[], bigint[], json,
        text[], bigint[], text[], integer[], bigint[], text[], text[], integer, bigint);
      CREATE FUNCTION dist_exec.commit_writes(
        p_seq bigint[], p_id text[], p_state text[], p_key text[], p_created bigint[], p_finished bigint[], p_data json,
        o_job text[], o_offset bigint[], o_stream text[], o_attempt integer[], o_ts bigint[], o_data text[],
        p_forgotten text[], p_writer integer, p_epoch bigint, p_packed text[], o_size integer[]
      ) RETURNS void LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_advisory_xact_lock(${WRITER_LOCK_CLASS}, p_writer);
        -- Fencing: a leader writes only under the epoch it holds. FOR SHARE
        -- makes a master taking the lease wait for this commit (and this
        -- commit wait for the take): a commit either lands before the new
        -- leader reads the database, or fails.
        IF p_epoch > 0 THEN
          PERFORM 1 FROM dist_exec.lease WHERE epoch = p_epoch FOR SHARE;
          IF NOT FOUND THEN
            RAISE EXCEPTION 'the lease of epoch % was taken by another master', p_epoch USING ERRCODE = '${LEASE_LOST_SQLSTATE}';
          END IF;
        END IF;
        IF cardinality(p_forgotten) > 0 THEN
          DELETE FROM dist_exec.output WHERE job_id = ANY (p_forgotten);
          WITH gone AS (
            DELETE FROM dist_exec.jobs WHERE id = ANY (p_forgotten) RETURNING state
          )
          INSERT INTO dist_exec.job_counts AS c (state, n)
            SELECT state, -count(*) FROM gone GROUP BY state ORDER BY state
            ON CONFLICT (state) DO UPDATE SET n = c.n + excluded.n;
        END IF;
        IF cardinality(p_id) > 0 THEN
          -- The states before come from the statement's snapshot, taken before its upsert.
          WITH input AS (
            SELECT seq, id, state, idempotency_key, created_at_ms, finished_at_ms,
                   CASE WHEN packed IS NULL THEN data END AS data, decode(packed, 'base64') AS packed
            FROM ROWS FROM (unnest(p_seq, p_id, p_state, p_key, p_created, p_finished, p_packed), json_array_elements(p_data))
              AS r(seq, id, state, idempotency_key, created_at_ms, finished_at_ms, packed, data)
          ), before AS (
            SELECT j.state FROM dist_exec.jobs AS j JOIN input USING (id)
          ), upserted AS (
            INSERT INTO dist_exec.jobs AS j (seq, id, state, idempotency_key, created_at_ms, finished_at_ms, data, packed)
              SELECT seq, id, state, idempotency_key, created_at_ms, finished_at_ms, data, packed FROM input
              ON CONFLICT (id) DO UPDATE
                SET state = excluded.state, finished_at_ms = excluded.finished_at_ms, data = excluded.data,
                    packed = excluded.packed
              RETURNING j.state
          )
          INSERT INTO dist_exec.job_counts AS c (state, n)
            SELECT state, sum(delta) FROM (
              SELECT state, 1 AS delta FROM upserted
              UNION ALL
              SELECT state, -1 FROM before
            ) AS changes GROUP BY state HAVING sum(delta) <> 0 ORDER BY state
            ON CONFLICT (state) DO UPDATE SET n = c.n + excluded.n;
        END IF;
        IF cardinality(o_job) > 0 THEN
          INSERT INTO dist_exec.output (job_id, byte_offset, stream, attempt, ts_ms, data, size)
            SELECT job_id, byte_offset, stream, attempt, ts_ms, decode(data, 'base64'), size
            FROM unnest(o_job, o_offset, o_stream, o_attempt, o_ts, o_data, o_size)
              AS r(job_id, byte_offset, stream, attempt, ts_ms, data, size)
            ON CONFLICT (job_id, byte_offset) DO NOTHING;
        END IF;
      END $$;
    `,
  },
];

export class NotOurSchemaError extends Error {
  override readonly name = 'NotOurSchemaError';
}

/** The schema version the database holds (0 = no dist_exec schema yet). Refuses a schema some other program made. */
export async function pgSchemaVersion(client: PoolClient): Promise<number> {
  const { rows } = await client.query<{ meta: boolean; tables: string }>(
    `SELECT to_regclass('dist_exec.meta') IS NOT NULL AS meta,
            (SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = $1) AS tables`,
    [PG_SCHEMA],
  );
  const found = rows[0];
  if (!found?.meta) {
    if (Number(found?.tables ?? 0) > 0)
      throw new NotOurSchemaError(
        `its ${PG_SCHEMA} schema has ${found?.tables} tables but no dist_exec.meta: it is not a dist-exec store; drop that schema or use another database`,
      );
    return 0;
  }
  const meta = await client.query<{ application: string; schema_version: number }>(
    'SELECT application, schema_version FROM dist_exec.meta',
  );
  const row = meta.rows[0];
  if (!row || row.application !== PG_APPLICATION)
    throw new NotOurSchemaError(
      `its ${PG_SCHEMA} schema was made by "${row?.application ?? 'nobody'}", not dist-exec; drop that schema or use another database`,
    );
  return row.schema_version;
}

export function latestPgVersion(migrations: readonly PostgresMigration[]): number {
  return migrations.reduce((max, m) => Math.max(max, m.version), 0);
}

/**
 * Brings the schema up to the latest version, one transaction per step, each
 * under an advisory transaction lock: masters starting together migrate once,
 * and a crash mid-way leaves the last completed version. Refuses a schema
 * from a newer version rather than guessing. Returns the versions applied.
 */
export async function migratePostgres(
  client: PoolClient,
  migrations: readonly PostgresMigration[] = POSTGRES_MIGRATIONS,
): Promise<number[]> {
  const latest = latestPgVersion(migrations);
  const steps = [...migrations].sort((a, b) => a.version - b.version);
  const applied: number[] = [];
  for (;;) {
    await client.query('BEGIN');
    try {
      await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_CLASS, MIGRATION_LOCK]);
      const current = await pgSchemaVersion(client);
      if (current > latest) throw new NewerSchemaError(current, latest);
      const step = steps.find((m) => m.version > current);
      if (!step) {
        await client.query('COMMIT');
        return applied;
      }
      await client.query(step.sql);
      await client.query('UPDATE dist_exec.meta SET schema_version = $1', [step.version]);
      await client.query('COMMIT');
      applied.push(step.version);
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }
}
