import type { Job, JobState, OutputChunk, OutputStreamName } from '@dist-exec/core';
import { unpackChunk } from './output-packing.js';
import type { GroupCommit } from './postgres-group-commit.js';
import * as sql from './postgres-sql.js';
import { chunksFrom, type JobPage, type JobPageQuery } from './store.js';

interface OutputRow {
  byte_offset: string;
  stream: OutputStreamName;
  attempt: number;
  ts_ms: string;
  data: Buffer;
  size: number | null;
}

/** What the reads need of the open store: its queries (errors already explained) and its group commit. */
export interface PostgresReadSource {
  query<Row extends object>(text: string, values: unknown[], name?: string): Promise<Row[]>;
  group(): GroupCommit;
}

/**
 * The PostgreSQL store's reads. A read of one job looks at the writes not
 * yet committed first; the others wait for them to commit (`settle`) and
 * then ask SQL, so each sees every write made before it.
 */
export class PostgresReads {
  readonly #source: PostgresReadSource;

  constructor(source: PostgresReadSource) {
    this.#source = source;
  }

  async getJob(id: string): Promise<Job | undefined> {
    const writes = this.#source.group();
    if (writes.forgotten(id)) return undefined;
    const pending = writes.pending(id);
    if (pending) return pending;
    const rows = await this.#source.query<sql.JobRow>(sql.JOB_BY_ID_SQL, [id], 'dist-exec-job');
    return rows[0] ? sql.decodeRow(rows[0]) : undefined;
  }

  async findJobByIdempotencyKey(key: string): Promise<Job | undefined> {
    const writes = this.#source.group();
    const pending = writes.pendingByKey(key);
    if (pending) return pending;
    const rows = await this.#source.query<sql.JobRow>(sql.JOB_BY_KEY_SQL, [key], 'dist-exec-job-by-key');
    const job = rows[0] ? sql.decodeRow(rows[0]) : undefined;
    return job && !writes.forgotten(job.id) ? job : undefined;
  }

  /** The jobs of many keys in one statement (a bulk submit from the SDK keys every spec). */
  async findJobsByIdempotencyKeys(keys: readonly string[]): Promise<Map<string, Job>> {
    const writes = this.#source.group();
    const found = new Map<string, Job>();
    const unwritten: string[] = [];
    for (const key of keys) {
      const pending = writes.pendingByKey(key);
      if (pending) found.set(key, pending);
      else unwritten.push(key);
    }
    if (unwritten.length === 0) return found;
    const rows = await this.#source.query<sql.JobRow & { key: string }>(
      sql.JOBS_BY_KEYS_SQL,
      [unwritten],
      'dist-exec-jobs-by-keys',
    );
    for (const row of rows) {
      const job = sql.decodeRow(row);
      if (!writes.forgotten(job.id)) found.set(row.key, job);
    }
    return found;
  }

  async listJobs(query: JobPageQuery): Promise<JobPage> {
    await this.#source.group().settle();
    const states = [...new Set(query.states)];
    // Tokens are submit sequence numbers: stable while jobs are added or deleted.
    const before = query.pageToken ? Number(query.pageToken) : Number.MAX_SAFE_INTEGER;
    // The page and the count on two of the pool's connections at once: one round trip instead of two.
    const [rows, totalCount] = await Promise.all([
      this.#source.query<sql.JobRow & { seq: string }>(
        sql.pageSql(states.length),
        [before, query.pageSize + 1, ...states],
        `dist-exec-page-${states.length}`,
      ),
      this.#count(states),
    ]);
    const more = rows.length > query.pageSize;
    const page = more ? rows.slice(0, query.pageSize) : rows;
    return {
      jobs: page.map((row) => sql.decodeRow(row)),
      nextPageToken: more ? String(page[page.length - 1]?.seq) : '',
      totalCount,
    };
  }

  async findJobsByIdFragment(fragment: string, limit: number): Promise<Job[]> {
    await this.#source.group().settle();
    const reversed = [...fragment].reverse().join('');
    const rows = await this.#source.query<sql.JobRow>(
      sql.JOBS_BY_ID_FRAGMENT_SQL,
      [fragment, reversed, limit],
      'dist-exec-jobs-by-id-fragment',
    );
    return rows.map((row) => sql.decodeRow(row));
  }

  async countJobs(states: readonly JobState[]): Promise<number> {
    await this.#source.group().settle();
    return this.#count([...new Set(states)]);
  }

  async #count(states: readonly string[]): Promise<number> {
    const rows = await this.#source.query<{ n: string }>(sql.COUNT_SQL, [states], 'dist-exec-count');
    return Number(rows[0]?.n ?? 0);
  }

  async readOutput(jobId: string, fromOffset: number): Promise<OutputChunk[]> {
    await this.#source.group().settle();
    const rows = await this.#source.query<OutputRow>(sql.READ_OUTPUT_SQL, [jobId, fromOffset], 'dist-exec-output');
    const chunks = rows.map((row) => ({
      offset: Number(row.byte_offset),
      stream: row.stream,
      attempt: row.attempt,
      timestampMs: Number(row.ts_ms),
      data: row.size === null ? new Uint8Array(row.data) : unpackChunk(row.data, row.size),
    }));
    return chunksFrom(chunks, fromOffset);
  }
}
