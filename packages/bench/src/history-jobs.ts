import { compileJobSpec, type Job, type JobState, type OutputChunk } from '@dist-exec/core';
import type { Store } from '@dist-exec/master';

/**
 * Finished jobs as a week of production leaves them, made up quickly and
 * deterministically for the history benchmark: a command with a few
 * arguments, labels and one attempt; 95% COMPLETED, 4% FAILED, 1% CANCELLED;
 * output lines of a typical log, 200 bytes at the median and 10 KiB for 1%
 * of jobs (in 4 KiB chunks, as a worker sends them).
 */

/** Size of a large job's output (1 in LARGE_EVERY jobs). */
export const LARGE_OUTPUT_BYTES = 10 * 1024;
const LARGE_EVERY = 100;
const CHUNK_BYTES = 4096;
/** Time between two jobs finishing in the fill: 1,000 jobs/s. */
const FILL_SPACING_MS = 1;

/** A job id of the UUIDv7 shape (time-ordered, as real ones are), derived from its submit number. */
export function historyJobId(seq: number): string {
  const hex = seq.toString(16).padStart(20, '0');
  return `01938a2c-${hex.slice(0, 4)}-7${hex.slice(4, 7)}-8${hex.slice(7, 10)}-${hex.slice(10, 20).padStart(12, '0')}`;
}

function stateOf(seq: number): JobState {
  const r = (seq * 2654435761) % 100;
  if (r < 4) return 'FAILED';
  if (r < 5) return 'CANCELLED';
  return 'COMPLETED';
}

const WORDS = ['processed', 'fetched', 'wrote', 'skipped', 'merged', 'indexed', 'uploaded', 'checked'];
const LEVELS = ['INFO', 'INFO', 'INFO', 'DEBUG', 'WARN'];

/** Log text of about `bytes` bytes: timestamped lines that vary as real ones do. */
function logText(seq: number, bytes: number, atMs: number): Buffer {
  let text = '';
  let i = 0;
  while (text.length < bytes) {
    const n = (seq * 31 + i * 17) % 9973;
    text += `${new Date(atMs + i).toISOString()} ${LEVELS[i % LEVELS.length]} ${WORDS[(seq + i) % WORDS.length]} item ${n} of batch ${seq % 977} in ${(n % 97) + 1} ms\n`;
    i += 1;
  }
  return Buffer.from(text.slice(0, bytes));
}

/** Output size of a job: 1% 10 KiB, the rest between 100 and 300 bytes (median 200). */
export function outputBytes(seq: number): number {
  if (seq % LARGE_EVERY === 7) return LARGE_OUTPUT_BYTES;
  return 100 + ((seq * 7919) % 201);
}

const SPEC = compileJobSpec({
  argv: ['python3', '-m', 'etl.run', '--shard', '17', '--date', '2026-12-01'],
  labels: { team: 'data', pipeline: 'nightly-etl' },
  timeoutMs: 600_000,
});

export interface HistoryJob {
  job: Job;
  chunks: OutputChunk[];
}

/** The finished job with submit number `seq`, finished at `finishedAtMs`. */
export function historyJob(seq: number, finishedAtMs: number): HistoryJob {
  const state = stateOf(seq);
  const size = outputBytes(seq);
  const startedAtMs = finishedAtMs - 40;
  const data = logText(seq, size, startedAtMs);
  const chunks: OutputChunk[] = [];
  for (let offset = 0; offset < size; offset += CHUNK_BYTES) {
    chunks.push({
      offset,
      stream: 'stdout',
      attempt: 1,
      timestampMs: startedAtMs + 1,
      data: data.subarray(offset, Math.min(size, offset + CHUNK_BYTES)),
    });
  }
  const failed = state === 'FAILED';
  const job: Job = {
    id: historyJobId(seq),
    seq,
    spec: SPEC,
    state,
    reason: failed ? 'EXIT_CODE' : state === 'CANCELLED' ? 'CANCELLED' : null,
    exitCode: state === 'CANCELLED' ? null : failed ? 1 : 0,
    error: failed ? 'exit code 1' : '',
    workerId: `worker-${seq % 50}`,
    attempts: 1,
    createdAtMs: startedAtMs - 5,
    startedAtMs,
    finishedAtMs,
    pendingReason: '',
    attemptHistory: [
      {
        number: 1,
        nodeId: `worker-${seq % 50}`,
        dispatchedAtMs: startedAtMs - 2,
        startedAtMs,
        finishedAtMs,
        succeeded: state === 'COMPLETED',
        reason: failed ? 'EXIT_CODE' : null,
        exitCode: failed ? 1 : 0,
        error: '',
        outputBase: 0,
        free: false,
      },
    ],
    httpResult: null,
    outputLength: size,
    stdoutDroppedBytes: 0,
    stderrDroppedBytes: 0,
    notBeforeMs: 0,
    submittedBy: 'ci-pipeline',
    cancelledBy: state === 'CANCELLED' ? 'alice' : '',
  };
  return { job, chunks };
}

/** Writes one job and its output through the store's own buffered write path. */
export function putHistoryJob(store: Store, seq: number, finishedAtMs: number): void {
  const { job, chunks } = historyJob(seq, finishedAtMs);
  store.putJob(job);
  for (const chunk of chunks) store.appendOutput(job.id, chunk);
}

/**
 * Fills the store with jobs `from`..`to` (submit numbers), finished 1 ms
 * apart ending at `endMs`, in group commits of `batch` jobs: the store's
 * own bulk write path, as a burst of finished jobs takes it.
 */
export async function fillHistory(
  store: Store,
  from: number,
  to: number,
  endMs: number,
  onProgress?: (done: number) => void,
  batch = 5000,
): Promise<void> {
  for (let seq = from; seq <= to; seq += batch) {
    const last = Math.min(to, seq + batch - 1);
    for (let s = seq; s <= last; s += 1) putHistoryJob(store, s, endMs - (to - s) * FILL_SPACING_MS);
    await store.flush();
    onProgress?.(last - from + 1);
  }
}
