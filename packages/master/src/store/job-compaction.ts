import { deflateRawSync, inflateRawSync } from 'node:zlib';

/**
 * Finished jobs' rows, stored small. A finished job is written once and then
 * kept for days in its thousands per second (issue 19: a week at 1,000 jobs/s
 * is 600 million rows), while its JSON is about 1 KB, mostly the same field
 * names and default values in every row. Deflate with a preset dictionary of
 * a typical job's JSON stores only what differs: about 1 KB → 70-150 bytes.
 * Active jobs, rewritten at every step, stay plain JSON (no cost on the
 * submit and dispatch paths).
 *
 * Format: one version byte, then raw deflate with that version's dictionary.
 * A dictionary is never edited once released; a better one is a new version,
 * and rows of older versions still decode.
 */

/** Version 1: a finished command job and the fields an HTTP job adds, most common text last (deflate looks back). */
const DICTIONARY_V1 = Buffer.from(
  '"http":{"url":"https://","method":"POST","headers":{"content-type":"application/json"},"body":{"$bytes":""},' +
    '"expectedStatus":[]},"httpResult":{"statusCode":200,"headers":{}},"reason":"EXIT_CODE","error":"exit code 1",' +
    '"reason":"TIMEOUT","reason":"WORKER_LOST","reason":"CANCELLED","reason":"EXECUTOR_ERROR","state":"FAILED",' +
    '"state":"CANCELLED","cancelledBy":"admin","succeeded":false,"free":true}' +
    '{"id":"01900000-0000-7000-8000-000000000000","seq":1000000,"spec":{"type":"command","command":"",' +
    '"argv":["sh","-c","echo"],"env":{},"cwd":"","stdin":{"$bytes":""},"priority":0,"timeoutMs":0,' +
    '"labels":{},"constraints":{},"cpu":0,"memoryBytes":0,"maxRetries":0,"retryOnFailure":false,' +
    '"idempotencyKey":"","http":null},"state":"COMPLETED","reason":null,"exitCode":0,"error":"",' +
    '"workerId":"worker-1","attempts":1,"createdAtMs":1700000000000,"startedAtMs":1700000000000,' +
    '"finishedAtMs":1700000000000,"pendingReason":"","attemptHistory":[{"number":1,"nodeId":"worker-1",' +
    '"dispatchedAtMs":1700000000000,"startedAtMs":1700000000000,"finishedAtMs":1700000000000,"succeeded":true,' +
    '"reason":null,"exitCode":0,"error":"","outputBase":0,"free":false}],"httpResult":null,"outputLength":0,' +
    '"stdoutDroppedBytes":0,"stderrDroppedBytes":0,"notBeforeMs":0,"submittedBy":"admin","cancelledBy":""}',
);

const DICTIONARIES: ReadonlyMap<number, Buffer> = new Map([[1, DICTIONARY_V1]]);
const CURRENT_VERSION = 1;
/**
 * A 4 KiB window holds the dictionary and a job: a smaller window than
 * zlib's 32 KiB default makes each call's setup (most of its cost for rows
 * this small) several times cheaper.
 */
const WINDOW_BITS = 12;
const MEM_LEVEL = 6;
const LEVEL = 6;

/** The job's JSON, compacted. */
export function compactJson(json: string): Buffer {
  const dictionary = DICTIONARIES.get(CURRENT_VERSION) as Buffer;
  const body = deflateRawSync(json, { dictionary, windowBits: WINDOW_BITS, memLevel: MEM_LEVEL, level: LEVEL });
  const row = Buffer.allocUnsafe(body.length + 1);
  row[0] = CURRENT_VERSION;
  body.copy(row, 1);
  return row;
}

export class UnknownCompactionError extends Error {
  override readonly name = 'UnknownCompactionError';
}

/** The JSON a compacted row holds. Throws on a version this master does not know (a row from a newer one). */
export function expandJson(row: Uint8Array): string {
  const version = row[0] ?? 0;
  const dictionary = DICTIONARIES.get(version);
  if (!dictionary)
    throw new UnknownCompactionError(`a job row is compacted with version ${version}, which this master does not know`);
  return inflateRawSync(row.subarray(1), { dictionary, windowBits: WINDOW_BITS }).toString('utf8');
}
