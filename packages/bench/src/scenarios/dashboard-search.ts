import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { searchJobs, SCAN_CHUNK, type JobSearch, type Store } from '@dist-exec/master';
import { startTestPostgres, type TestPostgres } from '@dist-exec/testing';
import { fillHistory, historyJobId } from '../history-jobs.js';
import { memoryPlace, postgresPlace, sqlitePlace, type HistoryPlace } from '../history-store.js';
import { percentile, round, type Figure, type Scenario, type ScenarioContext, type StoreKind } from '../scenario.js';

/** Finished jobs in the store searched: a busy week's history would be more, the scan costs the same. */
const HISTORY_JOBS = 100_000;
const SAMPLES = 30;

/**
 * What the dashboard's reads cost on a store with history: a search that
 * matches nothing (the worst case: the whole bounded scan, 5,000 jobs) and
 * one that fills its page at once, against the plain first page of the list
 * measured in the same run; the longest single read of the scan (how long
 * the event loop is held at a time on SQLite, whose reads are synchronous);
 * and a short id found through the id indexes.
 */
export const dashboardSearch: Scenario = {
  name: 'dashboard-search',
  description: `the dashboard's job search (a bounded scan of ${SCAN_CHUNK}-job reads) on ${HISTORY_JOBS.toLocaleString('en')} finished jobs, against the plain list`,
  postgres: true,
  async run(context: ScenarioContext): Promise<Figure[]> {
    const figures: Figure[] = [];
    let server: TestPostgres | null = null;
    try {
      for (const kind of context.stores) {
        let place: HistoryPlace;
        if (kind === 'sqlite') place = sqlitePlace(mkdtempSync(join(tmpdir(), 'dist-exec-bench-search-')));
        else if (kind === 'memory') place = memoryPlace();
        else place = await postgresPlace((server ??= await startTestPostgres()));
        try {
          figures.push(...(await measure(context, kind, place)));
        } finally {
          await place.remove();
        }
      }
    } finally {
      await server?.destroy();
    }
    return figures;
  },
};

async function time(samples: number, call: () => Promise<unknown>): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i < samples; i += 1) {
    const start = performance.now();
    await call();
    ms.push(performance.now() - start);
  }
  return round(
    percentile(
      ms.sort((a, b) => a - b),
      50,
    ),
    2,
  );
}

async function measure(context: ScenarioContext, kind: StoreKind, place: HistoryPlace): Promise<Figure[]> {
  const store: Store = place.create();
  await store.open();
  try {
    context.log(`dashboard-search: filling ${kind} with ${HISTORY_JOBS.toLocaleString('en')} jobs`);
    await fillHistory(store, 1, HISTORY_JOBS, Date.now());
    const params = { store: kind, jobs: HISTORY_JOBS, page: 50 };
    const search: JobSearch = { states: [], text: '', labels: {}, nodeId: '', pageSize: 50, pageToken: '' };
    const list = await time(SAMPLES, () => store.listJobs({ states: [], pageSize: 50, pageToken: '' }));
    // The memory store lists in microseconds: no ratio against a zero.
    const baseline = list > 0 ? { name: `list first page (${kind})`, value: list } : undefined;
    const miss = await time(SAMPLES, () => searchJobs(store, { ...search, labels: { team: 'nobody' } }));
    const hit = await time(SAMPLES, () => searchJobs(store, { ...search, text: 'etl.run' }));
    // One read of the scan: on SQLite the event loop waits for all of it.
    const chunk = await time(SAMPLES, () => store.listJobs({ states: [], pageSize: SCAN_CHUNK, pageToken: '' }));
    const idEnd = historyJobId(Math.floor(HISTORY_JOBS / 2)).slice(-8);
    const byId = await time(SAMPLES, () => store.findJobsByIdFragment(idEnd, 50));
    return [
      { name: `list first page (${kind})`, value: list, unit: 'ms p50', params },
      {
        name: `search, no match: 5,000 jobs scanned (${kind})`,
        value: miss,
        unit: 'ms p50',
        ...(baseline ? { baseline } : {}),
        params,
      },
      {
        name: `search, page full at once (${kind})`,
        value: hit,
        unit: 'ms p50',
        ...(baseline ? { baseline } : {}),
        params,
      },
      { name: `one scan read of ${SCAN_CHUNK} jobs (${kind})`, value: chunk, unit: 'ms p50', params },
      { name: `short id by its end (${kind})`, value: byId, unit: 'ms p50', ...(baseline ? { baseline } : {}), params },
    ];
  } finally {
    await store.close();
  }
}
