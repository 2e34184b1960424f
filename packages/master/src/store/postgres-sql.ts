import type { Job, OutputChunk } from '@dist-exec/core';
import { decodeJob, finishedAtForGc, jobRecord } from './job-codec.js';
import { compactRecord } from './job-compaction.js';
import { packChunk } from './output-packing.js';

/**
 * The statements of the PostgreSQL store (the schema, and the commit function, are in postgres-schema.ts).
 * Each is one statement, so each is its own transaction: a group commit is
 * one round trip however many jobs and chunks it carries.
 */

/** A group commit (see dist_exec.commit_writes): the values come from `commitValues`. */
export const COMMIT_SQL = `SELECT dist_exec.commit_writes(
  $1::bigint[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::json,
  $8::text[], $9::bigint[], $10::text[], $11::integer[], $12::bigint[], $13::text[], $14::text[], $15::integer, $16::bigint, $17::text[], $18::integer[])`;

/**
 * The parameters of COMMIT_SQL: the jobs' columns as parallel arrays and
 * their data as one JSON array (null for a finished job) and a finished
 * job's compacted row in base64 (null for an active one); the chunks' columns as arrays, bytes in
 * base64 (packed, with their length before: output-packing.ts); the ids of jobs to delete; the writer's lock number; the lease
 * epoch it writes under (0: a store without a lease). A second job
 * with a taken submit number or idempotency key breaks a unique index and
 * fails the commit.
 */
export function commitValues(
  jobs: Iterable<Job>,
  output: readonly { jobId: string; chunk: OutputChunk }[],
  forgotten: readonly string[],
  writer: number,
  epoch: number,
): unknown[] {
  const seq: number[] = [];
  const id: string[] = [];
  const state: string[] = [];
  const key: (string | null)[] = [];
  const created: number[] = [];
  const finished: (number | null)[] = [];
  const data: (object | null)[] = [];
  const packed: (string | null)[] = [];
  for (const job of jobs) {
    seq.push(job.seq);
    id.push(job.id);
    state.push(job.state);
    key.push(job.spec.idempotencyKey || null);
    created.push(job.createdAtMs);
    const finishedAt = finishedAtForGc(job);
    finished.push(finishedAt);
    data.push(finishedAt === null ? jobRecord(job) : null);
    packed.push(finishedAt === null ? null : compactRecord(jobRecord(job)).toString('base64'));
  }
  const chunkJob: string[] = [];
  const offset: number[] = [];
  const stream: string[] = [];
  const attempt: number[] = [];
  const ts: number[] = [];
  const bytes: string[] = [];
  const size: (number | null)[] = [];
  for (const { jobId, chunk } of output) {
    chunkJob.push(jobId);
    offset.push(chunk.offset);
    stream.push(chunk.stream);
    attempt.push(chunk.attempt);
    ts.push(chunk.timestampMs);
    const packed = packChunk(chunk.data);
    bytes.push(packed.data.toString('base64'));
    size.push(packed.size);
  }
  return [
    seq,
    id,
    state,
    key,
    created,
    finished,
    JSON.stringify(data),
    chunkJob,
    offset,
    stream,
    attempt,
    ts,
    bytes,
    forgotten,
    writer,
    epoch,
    packed,
    size,
  ];
}

/** A job's row as the reads below return it: JSON text, or a finished job's compacted row. */
export interface JobRow {
  data: string | null;
  packed: Buffer | null;
}

export function decodeRow(row: JobRow): Job {
  return decodeJob(row.packed ?? row.data ?? '');
}

/** PENDING and RUNNING jobs in submit order, each with where its output log ends (rows lag behind the log). */
export const ACTIVE_JOBS_SQL = `
  SELECT j.data::text AS data,
         (SELECT o.byte_offset + coalesce(o.size, length(o.data)) FROM dist_exec.output AS o
          WHERE o.job_id = j.id ORDER BY o.byte_offset DESC LIMIT 1) AS output_end
  FROM dist_exec.jobs AS j
  WHERE j.state IN ('PENDING', 'RUNNING')
  ORDER BY j.seq`;

/** The highest submit number ever used: in the table, or deleted by history GC. */
export const LAST_SEQ_SQL = `
  SELECT greatest((SELECT coalesce(max(seq), 0) FROM dist_exec.jobs), (SELECT seq_floor FROM dist_exec.meta)) AS last`;

export const JOB_BY_ID_SQL = 'SELECT data::text AS data, packed FROM dist_exec.jobs WHERE id = $1';
export const JOB_BY_KEY_SQL = 'SELECT data::text AS data, packed FROM dist_exec.jobs WHERE idempotency_key = $1';
export const JOBS_BY_KEYS_SQL =
  'SELECT idempotency_key AS key, data::text AS data, packed FROM dist_exec.jobs WHERE idempotency_key = ANY ($1::text[])';

/** Jobs in the given states ($1; all when empty), from the counters every write keeps. */
export const COUNT_SQL = `
  SELECT coalesce(sum(n), 0) AS n FROM dist_exec.job_counts WHERE cardinality($1::text[]) = 0 OR state = ANY($1)`;

/**
 * Jobs whose id starts with $1 or ends with it ($2 is its reverse), newest
 * first, at most $3: two range scans of the pattern indexes (~>=~ and ~<~
 * are the byte-wise comparisons text_pattern_ops indexes; LIKE with a
 * parameter would not use them in a generic plan).
 */
export const JOBS_BY_ID_FRAGMENT_SQL = `
  SELECT data::text AS data, packed FROM dist_exec.jobs
  WHERE (id ~>=~ $1 AND id ~<~ ($1 || '~')) OR (reverse(id) ~>=~ $2 AND reverse(id) ~<~ ($2 || '~'))
  ORDER BY seq DESC LIMIT $3`;

/**
 * A page, newest first, of jobs submitted before $1, at most $2. With states,
 * one index range scan per state, merged: O(states · log n + page) however
 * rare the state, where a filter over the submit order would walk past every
 * job of the other states.
 */
export function pageSql(stateCount: number): string {
  const columns = 'SELECT seq, data::text AS data, packed FROM dist_exec.jobs';
  if (stateCount === 0) return `${columns} WHERE seq < $1 ORDER BY seq DESC LIMIT $2`;
  const parts = Array.from(
    { length: stateCount },
    (_, i) => `(${columns} WHERE state = $${i + 3} AND seq < $1 ORDER BY seq DESC LIMIT $2)`,
  );
  return `SELECT seq, data, packed FROM (${parts.join(' UNION ALL ')}) AS page ORDER BY seq DESC LIMIT $2`;
}

/** The chunk holding offset $2 of job $1's log, and every one after it. */
export const READ_OUTPUT_SQL = `
  SELECT byte_offset, stream, attempt, ts_ms, data, size FROM dist_exec.output
  WHERE job_id = $1
    AND byte_offset >= coalesce((SELECT max(byte_offset) FROM dist_exec.output WHERE job_id = $1 AND byte_offset <= $2), 0)
  ORDER BY byte_offset`;

/**
 * History GC in one statement: of the at most $1 jobs that finished first,
 * deletes the first $2 (beyond the count kept) and those that finished before
 * $3, with their output; remembers the highest submit number deleted, and
 * takes them off the counts. Only under lease epoch $4 (0: a store without a lease).
 * The output's rows are found one job at a time through its primary key (the
 * LATERAL with OFFSET 0 cannot be turned into a join) and deleted by ctid: as
 * a join, a table filled faster than autovacuum analyzes it got a hash join
 * over the whole output table, 270 µs a job at 1M jobs instead of 8.
 */
export const DELETE_FINISHED_SQL = `
  WITH oldest AS (
    SELECT seq, id, finished_at_ms, row_number() OVER (ORDER BY finished_at_ms, seq) AS rank
    FROM (SELECT seq, id, finished_at_ms FROM dist_exec.jobs WHERE finished_at_ms IS NOT NULL
          ORDER BY finished_at_ms, seq LIMIT $1) AS candidates
  ), doomed AS (
    SELECT seq, id FROM oldest WHERE (rank <= $2 OR finished_at_ms < $3)
      AND ($4::bigint = 0 OR EXISTS (SELECT 1 FROM dist_exec.lease WHERE epoch = $4::bigint))
  ), chunks AS (
    DELETE FROM dist_exec.output AS o WHERE o.ctid = ANY (ARRAY(
      SELECT c.ctid FROM doomed, LATERAL (SELECT ctid FROM dist_exec.output WHERE job_id = doomed.id OFFSET 0) AS c))
  ), deleted AS (
    DELETE FROM dist_exec.jobs AS j USING doomed WHERE j.seq = doomed.seq AND j.finished_at_ms IS NOT NULL
    RETURNING j.seq, j.state
  ), floor AS (
    UPDATE dist_exec.meta SET seq_floor = greatest(seq_floor, (SELECT max(seq) FROM deleted))
    WHERE EXISTS (SELECT 1 FROM deleted)
  ), counted AS (
    INSERT INTO dist_exec.job_counts AS c (state, n)
      SELECT state, -count(*) FROM deleted GROUP BY state ORDER BY state
      ON CONFLICT (state) DO UPDATE SET n = c.n + excluded.n
  )
  SELECT count(*) AS n FROM deleted`;

/** Finished jobs, for history GC's count limit. */
export const FINISHED_COUNT_SQL = `
  SELECT coalesce(sum(n), 0) AS n FROM dist_exec.job_counts WHERE state IN ('COMPLETED', 'FAILED', 'CANCELLED')`;

/** A token's row, inserted or (revoked, used) updated by its hash. */
export const UPSERT_TOKEN_SQL = `
  INSERT INTO dist_exec.tokens (hash, name, role, created_at_ms, expires_at_ms, revoked_at_ms, last_used_at_ms, created_by, limits)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
  ON CONFLICT (hash) DO UPDATE SET revoked_at_ms = excluded.revoked_at_ms, last_used_at_ms = excluded.last_used_at_ms`;

export const UPSERT_CLAIM_SQL = `
  INSERT INTO dist_exec.node_claims (node_id, secret_hash, token_name, claimed_at_ms) VALUES ($1, $2, $3, $4)
  ON CONFLICT (node_id) DO UPDATE
    SET secret_hash = excluded.secret_hash, token_name = excluded.token_name, claimed_at_ms = excluded.claimed_at_ms`;

export const DELETE_CLAIM_SQL = 'DELETE FROM dist_exec.node_claims WHERE node_id = $1';

export const ALL_TOKENS_SQL = `
  SELECT hash, name, role, created_at_ms, expires_at_ms, revoked_at_ms, last_used_at_ms, created_by, limits
  FROM dist_exec.tokens ORDER BY created_at_ms`;

export const ALL_CLAIMS_SQL = 'SELECT node_id, secret_hash, token_name, claimed_at_ms FROM dist_exec.node_claims';
