import { EMPTY_BYTES, EMPTY_RECORD, EMPTY_STRINGS, isTerminal, type Job } from '@dist-exec/core';
import { compactRecord, expandRecord } from './job-compaction.js';

const BYTES_TAG = '$bytes';
const NO_BYTES = Object.freeze({ [BYTES_TAG]: '' });

/** Byte fields (stdin, HTTP bodies) are stored as `{"$bytes": "<base64>"}`. */
function bytesToJson(bytes: Uint8Array): { [BYTES_TAG]: string } {
  if (bytes.length === 0) return NO_BYTES;
  return { [BYTES_TAG]: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64') };
}

/**
 * The job as the value its row keeps, ready for JSON.stringify. The byte
 * fields are swapped for their tagged form in shallow copies rather than by a
 * JSON.stringify replacer, which would be called for every key of every job
 * (it was half the cost of a write).
 */
export function jobRecord(job: Job): object {
  const spec = job.spec;
  const http = spec.http && { ...spec.http, body: bytesToJson(spec.http.body) };
  return { ...job, spec: { ...spec, stdin: bytesToJson(spec.stdin), http } };
}

function jobJson(job: Job): string {
  return JSON.stringify(jobRecord(job));
}

function reviver(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const tagged = (value as Record<string, unknown>)[BYTES_TAG];
    if (typeof tagged === 'string' && Object.keys(value).length === 1)
      return tagged ? new Uint8Array(Buffer.from(tagged, 'base64')) : EMPTY_BYTES;
  }
  return value;
}

/** When a finished job finished, for history GC; null while it is active (only finished jobs are candidates). */
export function finishedAtForGc(job: Job): number | null {
  return isTerminal(job.state) ? (job.finishedAtMs ?? job.createdAtMs) : null;
}

/**
 * A job as one row of the SQLite `jobs` table: seq, id, state,
 * idempotency_key, created_at_ms, finished_at_ms, data (the job as JSON text;
 * a finished job's compacted to a BLOB, see job-compaction.ts).
 */
export function jobRowValues(
  job: Job,
): [number, string, string, string | null, number, number | null, string | Buffer] {
  const finishedAt = finishedAtForGc(job);
  return [
    job.seq,
    job.id,
    job.state,
    job.spec.idempotencyKey || null,
    job.createdAtMs,
    finishedAt,
    finishedAt === null ? jobJson(job) : compactRecord(jobRecord(job)),
  ];
}

/** A job read back shares the frozen empties, as a submitted one does (see compileJobSpec). */
function shareEmpties(job: Job): void {
  const spec = job.spec;
  if (spec.env && Object.keys(spec.env).length === 0) spec.env = EMPTY_RECORD;
  if (spec.labels && Object.keys(spec.labels).length === 0) spec.labels = EMPTY_RECORD;
  if (spec.constraints && Object.keys(spec.constraints).length === 0) spec.constraints = EMPTY_RECORD;
  if (spec.argv?.length === 0) spec.argv = EMPTY_STRINGS;
}

export class CorruptRowError extends Error {
  override readonly name = 'CorruptRowError';
}

/** A job from its row's data: JSON text, or a compacted finished job (a BLOB). */
export function decodeJob(data: string | Uint8Array): Job {
  let job: Job;
  try {
    job = (typeof data === 'string' ? JSON.parse(data, reviver) : expandRecord(data, reviver)) as Job;
  } catch (error) {
    throw new CorruptRowError(`a job row cannot be read (${(error as Error).message})`, { cause: error });
  }
  if (
    !job ||
    typeof job.id !== 'string' ||
    typeof job.state !== 'string' ||
    !job.spec ||
    !Array.isArray(job.attemptHistory)
  ) {
    throw new CorruptRowError('a job row lacks its id, state, spec or attempts');
  }
  shareEmpties(job);
  // Rows written before jobs recorded who submitted and cancelled them.
  job.submittedBy ??= '';
  job.cancelledBy ??= '';
  return job;
}
