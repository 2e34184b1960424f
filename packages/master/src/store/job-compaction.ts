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

/** Version 1 (read only): a finished command job and the fields an HTTP job adds, most common text last (deflate looks back). */
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

/**
 * Version 2: the job without the fields that hold their usual value (the
 * defaults below: most of a finished job), then raw deflate with a dictionary
 * of what remains. Half the work of version 1 both ways (less to stringify,
 * deflate and parse; a smaller dictionary to load for each row), and a few
 * bytes smaller. The defaults of a released version are never edited.
 */
const SPEC_DEFAULTS_V2: Readonly<Record<string, unknown>> = {
  type: 'command',
  command: '',
  argv: [],
  env: {},
  cwd: '',
  stdin: { $bytes: '' },
  priority: 0,
  timeoutMs: 0,
  labels: {},
  constraints: {},
  cpu: 0,
  memoryBytes: 0,
  maxRetries: 0,
  retryOnFailure: false,
  idempotencyKey: '',
  http: null,
  memoryLimitBytes: 0,
  user: '',
};
const ATTEMPT_DEFAULTS_V2: Readonly<Record<string, unknown>> = {
  number: 1,
  succeeded: true,
  reason: null,
  exitCode: 0,
  error: '',
  outputBase: 0,
  free: false,
};
const JOB_DEFAULTS_V2: Readonly<Record<string, unknown>> = {
  state: 'COMPLETED',
  reason: null,
  exitCode: 0,
  error: '',
  attempts: 1,
  pendingReason: '',
  httpResult: null,
  outputLength: 0,
  stdoutDroppedBytes: 0,
  stderrDroppedBytes: 0,
  notBeforeMs: 0,
  submittedBy: '',
  cancelledBy: '',
};
/** What a version 2 row holds, most common text last (deflate looks back). */
const DICTIONARY_V2 = Buffer.from(
  '"http":{"url":"https://","method":"POST","headers":{"content-type":"application/json"},"body":{"$bytes":""},' +
    '"expectedStatus":[]},"httpResult":{"statusCode":200,"headers":{}},"env":{},"constraints":{},"maxRetries":' +
    '"retryOnFailure":true,"idempotencyKey":"","priority":,"cpu":,"memoryBytes":,"cwd":"/","command":"sh -c ",' +
    '"reason":"TIMEOUT","reason":"WORKER_LOST","reason":"EXECUTOR_ERROR","reason":"OUT_OF_MEMORY",' +
    '"state":"CANCELLED","reason":"CANCELLED","cancelledBy":"admin","exitCode":null,' +
    '"state":"FAILED","reason":"EXIT_CODE","error":"exit code 1","exitCode":1,"succeeded":false,"free":true,' +
    '"peakMemoryBytes":,"cpuTimeMs":,"submittedBy":"admin"' +
    '{"id":"01900000-0000-7000-8000-000000000000","seq":1000000,"spec":{"argv":["sh","-c","echo"],' +
    '"timeoutMs":600000,"labels":{"team":""}},"workerId":"worker-1","createdAtMs":1700000000000,' +
    '"startedAtMs":1700000000000,"finishedAtMs":1700000000000,"attemptHistory":[{"nodeId":"worker-1",' +
    '"dispatchedAtMs":1700000000000,"startedAtMs":1700000000000,"finishedAtMs":1700000000000}],' +
    '"outputLength":200,"submittedBy":"',
);

const DICTIONARIES: ReadonlyMap<number, Buffer> = new Map([
  [1, DICTIONARY_V1],
  [2, DICTIONARY_V2],
]);
const CURRENT_VERSION = 2;
/**
 * A small window holds the dictionary and a job: a smaller window than
 * zlib's 32 KiB default makes each call's setup (most of its cost for rows
 * this small) several times cheaper. Version 1 used 4 KiB; version 2's
 * dictionary and rows fit 2 KiB. Only what deflate refers back to depends on
 * it: inflate with the larger window reads both.
 */
const WINDOW_BITS = 12;
const DEFLATE = { windowBits: 11, memLevel: 4, level: 6 } as const;

/** Holds no more than an empty array, object or byte field would: equal to any default of its kind. */
function isEmpty(value: unknown): boolean {
  if (Array.isArray(value)) return value.length === 0;
  if (value === null || typeof value !== 'object') return false;
  for (const key in value) if (key !== '$bytes' || (value as Record<string, unknown>)[key] !== '') return false;
  return true;
}

/** `record` without the fields that hold their default (unknown fields are kept). */
function withoutDefaults(record: Record<string, unknown>, defaults: Readonly<Record<string, unknown>>): object {
  const kept: Record<string, unknown> = {};
  for (const key in record) {
    const value = record[key];
    const usual = defaults[key];
    if (key in defaults && (value === usual || (isEmpty(value) && isEmpty(usual)))) continue;
    kept[key] = value;
  }
  return kept;
}

/** The defaults of a field left out, a fresh copy (rows read back are changed by their readers). */
function withDefaults(kept: Record<string, unknown>, defaults: Readonly<Record<string, unknown>>): object {
  const record: Record<string, unknown> = {};
  for (const key in defaults) {
    const usual = defaults[key];
    record[key] = Array.isArray(usual) ? [] : usual !== null && typeof usual === 'object' ? { ...usual } : usual;
  }
  return Object.assign(record, kept);
}

/** A job record (jobRecord in job-codec.ts: its bytes tagged for JSON), compacted. */
export function compactRecord(record: object): Buffer {
  const job = record as Record<string, unknown> & { spec: Record<string, unknown>; attemptHistory: object[] };
  const slim = withoutDefaults(job, JOB_DEFAULTS_V2) as Record<string, unknown>;
  slim.spec = withoutDefaults(job.spec, SPEC_DEFAULTS_V2);
  slim.attemptHistory = job.attemptHistory.map((a) =>
    withoutDefaults(a as Record<string, unknown>, ATTEMPT_DEFAULTS_V2),
  );
  const body = deflateRawSync(JSON.stringify(slim), { ...DEFLATE, dictionary: DICTIONARY_V2 });
  const row = Buffer.allocUnsafe(body.length + 1);
  row[0] = CURRENT_VERSION;
  body.copy(row, 1);
  return row;
}

export class UnknownCompactionError extends Error {
  override readonly name = 'UnknownCompactionError';
}

/**
 * The job record a compacted row holds, its byte fields still tagged
 * (`reviver` turns them back, as JSON.parse's). Throws on a version this
 * master does not know (a row from a newer one).
 */
export function expandRecord(row: Uint8Array, reviver: (key: string, value: unknown) => unknown): object {
  const version = row[0] ?? 0;
  const dictionary = DICTIONARIES.get(version);
  if (!dictionary)
    throw new UnknownCompactionError(`a job row is compacted with version ${version}, which this master does not know`);
  const json = inflateRawSync(row.subarray(1), { dictionary, windowBits: WINDOW_BITS }).toString('utf8');
  if (version === 1) return JSON.parse(json, reviver) as object;
  const slim = JSON.parse(json) as Record<string, unknown> & { spec: Record<string, unknown>; attemptHistory: [] };
  const job = withDefaults(slim, JOB_DEFAULTS_V2) as Record<string, unknown>;
  job.spec = withDefaults(slim.spec, SPEC_DEFAULTS_V2);
  job.attemptHistory = slim.attemptHistory.map((a) => withDefaults(a, ATTEMPT_DEFAULTS_V2));
  // The byte fields, where a reviver would have met them: the spec's stdin and an HTTP job's body.
  const spec = job.spec as Record<string, unknown> & { http: Record<string, unknown> | null };
  spec.stdin = reviver('stdin', spec.stdin);
  if (spec.http) spec.http.body = reviver('body', spec.http.body);
  return job;
}
