import { isTerminal, type Job } from '@dist-exec/core';

/** A job as one row of the `jobs` table. */
export interface JobRow {
  seq: number;
  id: string;
  state: string;
  idempotency_key: string | null;
  created_at_ms: number;
  finished_at_ms: number | null;
  data: string;
}

const BYTES_TAG = '$bytes';

/**
 * Byte fields (stdin, HTTP bodies) become `{"$bytes": "<base64>"}`. The raw
 * value is read from `this` because JSON.stringify calls Buffer#toJSON before the replacer.
 */
function replacer(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const raw = this[key];
  if (raw instanceof Uint8Array) return { [BYTES_TAG]: Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64') };
  return value;
}

function reviver(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const tagged = (value as Record<string, unknown>)[BYTES_TAG];
    if (typeof tagged === 'string' && Object.keys(value).length === 1) return new Uint8Array(Buffer.from(tagged, 'base64'));
  }
  return value;
}

export function encodeJob(job: Job): JobRow {
  return {
    seq: job.seq,
    id: job.id,
    state: job.state,
    idempotency_key: job.spec.idempotencyKey || null,
    created_at_ms: job.createdAtMs,
    // Only finished jobs are candidates for history GC.
    finished_at_ms: isTerminal(job.state) ? (job.finishedAtMs ?? job.createdAtMs) : null,
    data: JSON.stringify(job, replacer),
  };
}

export class CorruptRowError extends Error {
  override readonly name = 'CorruptRowError';
}

export function decodeJob(data: string): Job {
  let job: Job;
  try {
    job = JSON.parse(data, reviver) as Job;
  } catch (error) {
    throw new CorruptRowError(`a job row is not valid JSON (${(error as Error).message})`, { cause: error });
  }
  if (!job || typeof job.id !== 'string' || typeof job.state !== 'string' || !job.spec || !Array.isArray(job.attemptHistory)) {
    throw new CorruptRowError('a job row lacks its id, state, spec or attempts');
  }
  return job;
}
