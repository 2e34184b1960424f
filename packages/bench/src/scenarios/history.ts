import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DistExecClient } from '@dist-exec/client';
import { systemClock, type JobState } from '@dist-exec/core';
import { HistoryGc, type Store } from '@dist-exec/master';
import { startMasterProcess, startTestPostgres, testLogger, type TestPostgres } from '@dist-exec/testing';
import { fillHistory, historyJobId, putHistoryJob } from '../history-jobs.js';
import { memoryPlace, postgresPlace, sqlitePlace, type HistoryPlace } from '../history-store.js';
import { percentile, round, type Figure, type Scenario, type ScenarioContext, type StoreKind } from '../scenario.js';

/** Jobs finishing per second while reads and GC are measured: the rate the issue plans for. */
const INGEST_PER_S = 1000;
const INGEST_TICK_MS = 20;
/** The memory store is measured up to this size (its history lives in the master's heap). */
const MEMORY_MAX_JOBS = 1_000_000;
const PAGE_SIZE = 100;
const SAMPLES = 1000;
const LIST_SAMPLES = 300;
const FINISHED: JobState[] = ['COMPLETED', 'FAILED', 'CANCELLED'];

/** Writes finished jobs at a steady rate through the store, as a busy master does, until stopped. */
class SteadyIngest {
  #next: number;
  #timer: NodeJS.Timeout;
  #started = performance.now();
  #written = 0;
  #failure: Error | null = null;

  constructor(
    readonly store: Store,
    firstSeq: number,
  ) {
    this.#next = firstSeq;
    const perTick = (INGEST_PER_S * INGEST_TICK_MS) / 1000;
    this.#timer = setInterval(() => {
      // Catch up when a tick came late, so the rate holds while reads block the loop.
      const due = Math.floor(((performance.now() - this.#started) * INGEST_PER_S) / 1000) - this.#written;
      const now = Date.now();
      for (let i = 0; i < Math.min(due, perTick * 10); i += 1) putHistoryJob(store, this.#next++, now);
      this.#written += Math.max(0, Math.min(due, perTick * 10));
      store.flush().catch((error: Error) => (this.#failure ??= error));
    }, INGEST_TICK_MS);
  }

  get nextSeq(): number {
    return this.#next;
  }

  /** Jobs per second written so far. */
  get rate(): number {
    return (this.#written * 1000) / (performance.now() - this.#started);
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.store.flush();
    if (this.#failure) throw this.#failure;
  }
}

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Times `count` calls of `call(i)`, one at a time with the event loop let in between; sorted ms. */
async function timeCalls(count: number, call: (i: number) => Promise<unknown>): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const start = performance.now();
    await call(i);
    times.push(performance.now() - start);
    await yieldToLoop();
  }
  return times.sort((a, b) => a - b);
}

/**
 * A submit number of a filled job, scattered over the submit numbers up to
 * `lastSeq` but for their oldest fifth (which the GC measurements delete from).
 */
function sampleSeq(i: number, lastSeq: number): number {
  const oldest = Math.floor(lastSeq / 5);
  return oldest + 1 + ((i * 2_654_435_761) % (lastSeq - oldest));
}

function sizeLabel(jobs: number): string {
  return jobs % 1_000_000 === 0 ? `${jobs / 1_000_000}m` : `${jobs / 1000}k`;
}

async function placeFor(kind: StoreKind, server: () => Promise<TestPostgres>): Promise<HistoryPlace> {
  if (kind === 'memory') return memoryPlace();
  if (kind === 'postgres') return postgresPlace(await server());
  return sqlitePlace(mkdtempSync(join(tmpdir(), 'dist-exec-history-')));
}

/** The reads a user makes of history, store calls in the master's process while jobs keep finishing. */
async function measureReads(store: Store, lastSeq: number, ingest: SteadyIngest, f: FigureSink): Promise<void> {
  const latency = (name: string, sorted: number[], target?: string): void => {
    f.add(`${name}-p50`, round(percentile(sorted, 50), 2), 'ms');
    f.add(`${name}-p99`, round(percentile(sorted, 99), 2), 'ms', target);
  };
  let missing = 0;
  const status = await timeCalls(SAMPLES, async (i) => {
    if (!(await store.getJob(historyJobId(sampleSeq(i, lastSeq))))) missing += 1;
  });
  // A sample that missed would time a lookup of nothing: the figure would flatter the store.
  if (missing > 0) throw new Error(`${missing} of ${SAMPLES} sampled jobs were not in the store`);
  latency('status', status, '<= 5 ms');
  latency(
    'list-first',
    await timeCalls(LIST_SAMPLES, () => store.listJobs({ states: [], pageSize: PAGE_SIZE, pageToken: '' })),
    '<= 20 ms',
  );
  let token = '';
  for (let page = 1; page < 100; page += 1) {
    token = (await store.listJobs({ states: [], pageSize: PAGE_SIZE, pageToken: token })).nextPageToken;
  }
  latency(
    'list-page100',
    await timeCalls(LIST_SAMPLES, () => store.listJobs({ states: [], pageSize: PAGE_SIZE, pageToken: token })),
  );
  const failed: JobState[] = ['FAILED'];
  latency(
    'list-failed',
    await timeCalls(LIST_SAMPLES, () => store.listJobs({ states: failed, pageSize: PAGE_SIZE, pageToken: '' })),
  );
  latency('logs', await timeCalls(SAMPLES, (i) => store.readOutput(historyJobId(sampleSeq(i, lastSeq)), 0)));
  f.note(`ingest ran at ${ingest.rate.toFixed(0)} jobs/s during the reads`);
}

/** History GC with a backlog to clear while jobs keep finishing: its deletion rate against the ingest rate. */
async function measureGc(store: Store, size: number, ingest: SteadyIngest, f: FigureSink): Promise<void> {
  const finished = await store.countJobs(FINISHED);
  const backlog = Math.min(100_000, Math.floor(size / 10));
  const gc = new HistoryGc({
    store,
    clock: systemClock,
    logger: testLogger(),
    retentionMs: 0,
    maxJobs: finished - backlog,
    intervalMs: 3_600_000,
  });
  const deadline = setTimeout(() => void gc.stop(), 300_000);
  const start = performance.now();
  const deleted = await gc.runOnce();
  const seconds = (performance.now() - start) / 1000;
  clearTimeout(deadline);
  const perSecond = deleted / seconds;
  f.add('gc-jobs-per-s', round(perSecond, 0), 'jobs/s');
  f.add('gc-vs-ingest', round(perSecond / INGEST_PER_S, 1), `x ${INGEST_PER_S} jobs/s`, '>= 3x');
  f.note(`GC deleted ${deleted} in ${seconds.toFixed(1)} s (backlog ${backlog}) at ingest ${ingest.rate.toFixed(0)}/s`);
}

/** A master process started on the filled store: time to serving, and WatchJob of a finished job over gRPC. */
async function measureMaster(place: HistoryPlace, lastSeq: number, context: ScenarioContext, f: FigureSink) {
  if (!place.masterArgs) return;
  // The baseline: a master with nothing to recover (memory store): what starting the process costs here.
  const emptyStart = performance.now();
  const empty = await startMasterProcess(['--store', 'memory'], context.childEnv);
  const emptyRestart = (performance.now() - emptyStart) / 1000;
  empty.kill('SIGTERM');
  await empty.exited;
  rmSync(empty.dataDir, { recursive: true, force: true });
  f.add('start-memory-s', round(emptyRestart, 2), 's');
  const start = performance.now();
  const master = await startMasterProcess(place.masterArgs, context.childEnv);
  const restart = (performance.now() - start) / 1000;
  const client = new DistExecClient({ address: master.address, token: master.token, callTimeoutMs: 60_000 });
  try {
    f.add('restart-s', round(restart, 2), 's', '<= 3 s');
    const watch = await timeCalls(200, async (i) => {
      for await (const event of client.watch(historyJobId(sampleSeq(i, lastSeq)))) void event;
    });
    f.add('watch-p99', round(percentile(watch, 99), 2), 'ms');
    const status = await timeCalls(200, (i) => client.getJob(historyJobId(sampleSeq(i, lastSeq))));
    f.add('status-grpc-p99', round(percentile(status, 99), 2), 'ms');
  } finally {
    client.close();
    master.kill('SIGTERM');
    await master.exited;
  }
}

interface FigureSink {
  add(figure: string, value: number, unit: string, target?: string): void;
  note(message: string): void;
}

/** Where a store's history stands between two sizes: the next submit number, and the jobs it holds. */
interface Filled {
  nextSeq: number;
  jobs: number;
}

/**
 * One size of one store: fills it up to `size` jobs from where the last size
 * left it, then measures. The sizes grow one store (1m, then 9m more for
 * 10m, then 20m more for 30m), so 30m costs a fill of 30 million jobs, not
 * 41. Jobs added later finish later (from now on, 1 ms apart), so history GC
 * still meets the oldest first and the samples, taken from the newest four
 * fifths of submit numbers, land on jobs that are there.
 */
async function measure(place: HistoryPlace, size: number, from: Filled, context: ScenarioContext) {
  const kind = place.kind;
  const label = sizeLabel(size);
  const figures: Figure[] = [];
  const f: FigureSink = {
    add: (figure, value, unit, target) => {
      figures.push({ name: `history.${kind}.${label}.${figure}`, value, unit, target, params: { jobs: size } });
      context.log(`${kind} ${label}: ${figure} ${value} ${unit}`);
    },
    note: (message) => context.log(`${kind} ${label}: ${message}`),
  };
  let store = place.create();
  await store.open();
  const adding = size - from.jobs;
  const last = from.nextSeq + adding - 1;
  const fillStart = performance.now();
  let shown = 0;
  const endMs = from.jobs === 0 ? Date.now() : Date.now() + adding;
  await fillHistory(store, from.nextSeq, last, endMs, (done) => {
    if (done - shown < adding / 10) return;
    shown = done;
    f.note(`filled ${from.jobs + done}`);
  });
  f.add('fill-jobs-per-s', round(adding / ((performance.now() - fillStart) / 1000), 0), 'jobs/s');
  if (place.masterArgs) {
    await store.close();
    const bytes = await place.size();
    f.add('bytes-per-job', round(bytes.jobs / size, 0), 'bytes', '<= 400 bytes');
    f.add('bytes-per-job-with-output', round(bytes.total / size, 0), 'bytes');
    const openStart = performance.now();
    store = place.create();
    await store.open();
    f.add('open-s', round((performance.now() - openStart) / 1000, 2), 's');
  }
  const ingest = new SteadyIngest(store, last + 1);
  let held: number;
  try {
    await measureReads(store, last, ingest, f);
    await measureGc(store, size, ingest, f);
  } finally {
    await ingest.stop();
    held = await store.countJobs([]);
    await store.close();
  }
  await measureMaster(place, last, context, f);
  return { figures, filled: { nextSeq: ingest.nextSeq, jobs: held } };
}

/** Every size of one store, smallest first, grown in one place. */
async function measureStore(
  kind: StoreKind,
  sizes: readonly number[],
  context: ScenarioContext,
  server: () => Promise<TestPostgres>,
): Promise<Figure[]> {
  const place = await placeFor(kind, server);
  const figures: Figure[] = [];
  try {
    let filled: Filled = { nextSeq: 1, jobs: 0 };
    for (const size of [...sizes].sort((a, b) => a - b)) {
      if (kind === 'memory' && size > MEMORY_MAX_JOBS) break;
      if (size <= filled.jobs) {
        context.log(`${kind} ${sizeLabel(size)}: skipped, the store already holds ${filled.jobs} jobs`);
        continue;
      }
      const result = await measure(place, size, filled, context);
      figures.push(...result.figures);
      filled = result.filled;
    }
  } finally {
    await place.remove();
  }
  return figures;
}

/** Parses `100k,1m,10m` into job counts. */
export function parseHistorySizes(text: string): number[] {
  return text.split(',').map((part) => {
    const match = /^(\d+)([km])$/.exec(part.trim());
    if (!match) throw new Error(`--history-sizes: "${part}" is not a size like 100k or 10m`);
    return Number(match[1]) * (match[2] === 'k' ? 1000 : 1_000_000);
  });
}

/**
 * Issue 19: a store full of finished jobs (1M, 10M, …) while 1,000 more
 * finish every second: how status, list, logs and watch, history GC, a
 * restart and the bytes per job grow with the history.
 */
export const history: Scenario = {
  name: 'history',
  description: 'reads, GC, restart and size of a store holding millions of finished jobs',
  postgres: true,
  async run(context): Promise<Figure[]> {
    const server: { started: Promise<TestPostgres> | null } = { started: null };
    const postgres = (): Promise<TestPostgres> => (server.started ??= startTestPostgres({ durable: true }));
    const figures: Figure[] = [];
    try {
      for (const kind of context.stores)
        figures.push(...(await measureStore(kind, context.historySizes, context, postgres)));
    } finally {
      await (await server.started?.catch(() => null))?.destroy();
    }
    return figures;
  },
};
