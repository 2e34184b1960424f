import type Database from 'better-sqlite3';
import type { Job, JobState, OutputChunk, OutputStreamName } from '@dist-exec/core';
import { decodeJob } from './job-codec.js';
import { ID_TAIL_LENGTH, REVERSED_ID_TAIL } from './migrations.js';
import { unpackChunk } from './output-packing.js';
import type { SqliteGroupCommit } from './sqlite-group-commit.js';
import { countSql, pageParams, pageSql } from './sqlite-history.js';
import { chunksFrom, type JobPage, type JobPageQuery } from './store.js';

export type Statement = Database.Statement<unknown[], unknown>;

interface OutputRow {
  offset: number;
  stream: OutputStreamName;
  attempt: number;
  ts_ms: number;
  data: Buffer;
  size: number | null;
}

/** What the reads need of the open store: its connection, its prepared statements and its write buffer. */
export interface SqliteReadSource {
  db(): Database.Database;
  stmt(name: string): Statement;
  writer(): SqliteGroupCommit;
}

/**
 * The SQLite store's reads: the committed rows, with the writes not yet
 * committed laid over them (SqliteGroupCommit's buffer, and the jobs of
 * failed submits taken away). None commits on its path but the short-id
 * search: an fsync per read is tens of milliseconds on a busy disk (issue
 * 19), and a read answers the same while the store cannot write.
 */
export class SqliteReads {
  readonly #source: SqliteReadSource;
  /** Statements whose text depends on the number of states asked for, prepared once each. */
  readonly #byText = new Map<string, Statement>();

  constructor(source: SqliteReadSource) {
    this.#source = source;
  }

  /** Drops the statements of a connection that closed. */
  forget(): void {
    this.#byText.clear();
  }

  async getJob(id: string): Promise<Job | undefined> {
    const writer = this.#source.writer();
    if (writer.forgotten(id)) return undefined;
    const pending = writer.pending(id);
    if (pending) return pending;
    const row = this.#source.stmt('getJob').get(id) as { data: string | Buffer } | undefined;
    return row ? decodeJob(row.data) : undefined;
  }

  async findJobByIdempotencyKey(key: string): Promise<Job | undefined> {
    const writer = this.#source.writer();
    const pending = writer.pendingByKey(key);
    if (pending) return pending;
    const row = this.#source.stmt('jobByKey').get(key) as { data: string | Buffer } | undefined;
    const job = row ? decodeJob(row.data) : undefined;
    return job && !writer.forgotten(job.id) ? job : undefined;
  }

  async findJobsByIdempotencyKeys(keys: readonly string[]): Promise<Map<string, Job>> {
    const writer = this.#source.writer();
    const found = new Map<string, Job>();
    const unwritten: string[] = [];
    for (const key of keys) {
      const pending = writer.pendingByKey(key);
      if (pending) found.set(key, pending);
      else unwritten.push(key);
    }
    if (unwritten.length === 0) return found;
    const rows = this.#source.stmt('jobsByKeys').all(JSON.stringify(unwritten)) as {
      key: string;
      data: string | Buffer;
    }[];
    for (const row of rows) {
      const job = decodeJob(row.data);
      if (!writer.forgotten(job.id)) found.set(row.key, job);
    }
    return found;
  }

  #cached(text: string): Statement {
    let statement = this.#byText.get(text);
    if (!statement) {
      statement = this.#source.db().prepare(text);
      this.#byText.set(text, statement);
    }
    return statement;
  }

  /**
   * Newest first: the committed rows with the writes not yet committed laid
   * over them. A read does not commit what is buffered (an fsync on the
   * read's path: tens of milliseconds on a busy disk, issue 19), and it reads
   * the same while the store cannot write.
   */
  async listJobs(query: JobPageQuery): Promise<JobPage> {
    const writer = this.#source.writer();
    const buffered = writer.buffered.jobs;
    const states = [...new Set(query.states)];
    // Tokens are submit sequence numbers: stable while jobs are added or deleted.
    const before = query.pageToken ? Number(query.pageToken) : Number.MAX_SAFE_INTEGER;
    // Enough committed rows for a full page after the buffered versions of some took their places.
    const limit = query.pageSize + 1 + buffered.size + writer.forgottenIds.size;
    const rows = this.#cached(pageSql(states.length)).all(...pageParams(states, before, limit)) as {
      seq: number;
      id: string;
      data: string | Buffer;
    }[];
    const entries: { seq: number; data?: string | Buffer; job?: Job }[] = [];
    for (const row of rows) if (!buffered.has(row.id) && !writer.forgotten(row.id)) entries.push(row);
    for (const job of buffered.values())
      if (job.seq < before && (states.length === 0 || states.includes(job.state))) entries.push({ seq: job.seq, job });
    entries.sort((a, b) => b.seq - a.seq);
    const more = entries.length > query.pageSize;
    const page = more ? entries.slice(0, query.pageSize) : entries;
    return {
      // Decoded last: only the rows the page shows.
      jobs: page.map((entry) => entry.job ?? decodeJob(entry.data as string | Buffer)),
      nextPageToken: more ? String(page[page.length - 1]?.seq) : '',
      totalCount: this.#count(states),
    };
  }

  /** Jobs in these (distinct) states, committed or not: the kept counts, corrected by the buffered writes. */
  #count(states: readonly JobState[]): number {
    const writer = this.#source.writer();
    const matches = (state: string | undefined): boolean =>
      state !== undefined && (states.length === 0 || states.includes(state as JobState));
    let n = (this.#cached(countSql(states.length)).get(...states) as { n: number }).n;
    const committedState = (id: string): string | undefined =>
      (this.#source.stmt('jobState').get(id) as { state: string } | undefined)?.state;
    for (const job of writer.buffered.jobs.values()) {
      if (job.seq <= writer.committedSeq && matches(committedState(job.id))) n -= 1;
      if (matches(job.state)) n += 1;
    }
    for (const id of writer.forgottenIds) if (matches(committedState(id))) n -= 1;
    return n;
  }

  async findJobsByIdFragment(fragment: string, limit: number): Promise<Job[]> {
    const writer = this.#source.writer();
    const settled = writer.settle();
    // Both halves are index range scans: the id's own index, and the one on its reversed end.
    const tail = [...fragment.slice(-ID_TAIL_LENGTH)].reverse().join('');
    const rows = this.#source
      .db()
      .prepare(
        `SELECT seq, data FROM (
           SELECT seq, data FROM jobs WHERE id >= ? AND id < ?
           UNION
           SELECT seq, data FROM jobs WHERE ${REVERSED_ID_TAIL} >= ? AND ${REVERSED_ID_TAIL} < ? AND id LIKE ?
         ) ORDER BY seq DESC LIMIT ?`,
      )
      .all(fragment, `${fragment}~`, tail, `${tail}~`, `%${fragment}`, limit) as { data: string }[];
    const jobs = rows.map((row) => decodeJob(row.data));
    return settled ? jobs : jobs.filter((job) => !writer.forgotten(job.id)).map((job) => writer.pending(job.id) ?? job);
  }

  async countJobs(states: readonly JobState[]): Promise<number> {
    return this.#count([...new Set(states)]);
  }

  /** The committed chunks and the buffered ones after them: a read does not commit (see listJobs). */
  async readOutput(jobId: string, fromOffset: number): Promise<OutputChunk[]> {
    const writer = this.#source.writer();
    const rows = this.#source.stmt('readOutput').all({ jobId, from: fromOffset }) as OutputRow[];
    const chunks: OutputChunk[] = rows.map((row) => ({
      offset: row.offset,
      stream: row.stream,
      attempt: row.attempt,
      timestampMs: row.ts_ms,
      data: row.size === null ? new Uint8Array(row.data) : unpackChunk(row.data, row.size),
    }));
    if (writer.buffered.output.length > 0) {
      // Output not committed yet follows what is.
      const end = chunks.reduce((max, c) => Math.max(max, c.offset + c.data.length), 0);
      for (const entry of writer.buffered.output)
        if (entry.jobId === jobId && entry.chunk.offset >= end) chunks.push(entry.chunk);
      chunks.sort((a, b) => a.offset - b.offset);
    }
    return chunksFrom(chunks, fromOffset);
  }
}
