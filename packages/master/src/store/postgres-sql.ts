import type { Job, OutputChunk } from '@dist-exec/core';
import { finishedAtForGc, jobRecord } from './job-codec.js';

/**
 * The statements of the PostgreSQL store (the schema, and the commit function, are in postgres-schema.ts).
 * Each is one statement, so each is its own transaction: a group commit is
 * one round trip however many jobs and chunks it carries.
 */

/**
 * A group commit: jobs to upsert ($1, JSON rows), output chunks to append
 * ($2), jobs of failed submits to delete ($3), and the writer's lock number
 * ($4). See dist_exec.commit_writes. A second job with a taken submit number
 * or idempotency key breaks a unique index and fails the commit.
 */
export const COMMIT_SQL = 'SELECT dist_exec.commit_writes($1::json, $2::json, $3::text[], $4::integer)';

/** The JSON of the jobs a commit upserts ($1 of COMMIT_SQL). */
export function jobRowsJson(jobs: Iterable<Job>): string {
  const rows: object[] = [];
  for (const job of jobs) {
    rows.push({
      seq: job.seq,
      id: job.id,
      state: job.state,
      idempotency_key: job.spec.idempotencyKey || null,
      created_at_ms: job.createdAtMs,
      finished_at_ms: finishedAtForGc(job),
      data: jobRecord(job),
    });
  }
  return JSON.stringify(rows);
}

/** The JSON of the output chunks a commit appends ($2 of COMMIT_SQL). */
export function outputRowsJson(output: readonly { jobId: string; chunk: OutputChunk }[]): string {
  const rows: object[] = [];
  for (const { jobId, chunk } of output) {
    rows.push({
      job_id: jobId,
      byte_offset: chunk.offset,
      stream: chunk.stream,
      attempt: chunk.attempt,
      ts_ms: chunk.timestampMs,
      data: Buffer.from(chunk.data.buffer, chunk.data.byteOffset, chunk.data.byteLength).toString('base64'),
    });
  }
  return JSON.stringify(rows);
}

/** PENDING and RUNNING jobs in submit order, each with where its output log ends (rows lag behind the log). */
export const ACTIVE_JOBS_SQL = `
  SELECT j.data::text AS data,
         (SELECT o.byte_offset + length(o.data) FROM dist_exec.output AS o
          WHERE o.job_id = j.id ORDER BY o.byte_offset DESC LIMIT 1) AS output_end
  FROM dist_exec.jobs AS j
  WHERE j.state IN ('PENDING', 'RUNNING')
  ORDER BY j.seq`;

/** The highest submit number ever used: in the table, or deleted by history GC. */
export const LAST_SEQ_SQL = `
  SELECT greatest((SELECT coalesce(max(seq), 0) FROM dist_exec.jobs), (SELECT seq_floor FROM dist_exec.meta)) AS last`;

export const JOB_BY_ID_SQL = 'SELECT data::text AS data FROM dist_exec.jobs WHERE id = $1';
export const JOB_BY_KEY_SQL = 'SELECT data::text AS data FROM dist_exec.jobs WHERE idempotency_key = $1';

/** Jobs in the given states ($1; all when empty), from the counters the triggers keep. */
export const COUNT_SQL = `
  SELECT coalesce(sum(n), 0) AS n FROM dist_exec.job_counts WHERE cardinality($1::text[]) = 0 OR state = ANY($1)`;

/**
 * A page, newest first, of jobs submitted before $1, at most $2. With states,
 * one index range scan per state, merged: O(states · log n + page) however
 * rare the state, where a filter over the submit order would walk past every
 * job of the other states.
 */
export function pageSql(stateCount: number): string {
  const columns = 'SELECT seq, data::text AS data FROM dist_exec.jobs';
  if (stateCount === 0) return `${columns} WHERE seq < $1 ORDER BY seq DESC LIMIT $2`;
  const parts = Array.from(
    { length: stateCount },
    (_, i) => `(${columns} WHERE state = $${i + 3} AND seq < $1 ORDER BY seq DESC LIMIT $2)`,
  );
  return `SELECT seq, data FROM (${parts.join(' UNION ALL ')}) AS page ORDER BY seq DESC LIMIT $2`;
}

/** The chunk holding offset $2 of job $1's log, and every one after it. */
export const READ_OUTPUT_SQL = `
  SELECT byte_offset, stream, attempt, ts_ms, data FROM dist_exec.output
  WHERE job_id = $1
    AND byte_offset >= coalesce((SELECT max(byte_offset) FROM dist_exec.output WHERE job_id = $1 AND byte_offset <= $2), 0)
  ORDER BY byte_offset`;

/**
 * History GC in one statement: of the at most $1 jobs that finished first,
 * deletes the first $2 (beyond the count kept) and those that finished before
 * $3, with their output; remembers the highest submit number deleted.
 */
export const DELETE_FINISHED_SQL = `
  WITH oldest AS (
    SELECT seq, id, finished_at_ms, row_number() OVER (ORDER BY finished_at_ms, seq) AS rank
    FROM (SELECT seq, id, finished_at_ms FROM dist_exec.jobs WHERE finished_at_ms IS NOT NULL
          ORDER BY finished_at_ms, seq LIMIT $1) AS candidates
  ), doomed AS (
    SELECT seq, id FROM oldest WHERE rank <= $2 OR finished_at_ms < $3
  ), chunks AS (
    DELETE FROM dist_exec.output AS o USING doomed WHERE o.job_id = doomed.id
  ), deleted AS (
    DELETE FROM dist_exec.jobs AS j USING doomed WHERE j.seq = doomed.seq AND j.finished_at_ms IS NOT NULL
    RETURNING j.seq
  ), floor AS (
    UPDATE dist_exec.meta SET seq_floor = greatest(seq_floor, (SELECT max(seq) FROM deleted))
    WHERE EXISTS (SELECT 1 FROM deleted)
  )
  SELECT count(*) AS n FROM deleted`;

/** Finished jobs, for history GC's count limit. */
export const FINISHED_COUNT_SQL = `
  SELECT coalesce(sum(n), 0) AS n FROM dist_exec.job_counts WHERE state IN ('COMPLETED', 'FAILED', 'CANCELLED')`;
