import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { JobSpecInput } from '@dist-exec/client';
import { freePort } from '@dist-exec/testing';
import { expectCompleted, submitAndWait } from '../bulk.js';
import { rssBytes, startBenchCluster, type BenchCluster } from '../cluster.js';
import { percentile, round, type Figure, type Scenario, type ScenarioContext, type StoreKind } from '../scenario.js';
import { plotSvg } from '../svg-plot.js';

const WORKERS = 2;
const MAX_TASKS = 8;
/** Share of the measured e2e-throughput the soak runs at. */
const LOAD = 0.7;
const SAMPLE_MS = 10_000;
const TICK_MS = 100;
/** History kept by the soak's master: GC runs in the steady state, as in production. */
const HISTORY_MAX_JOBS = 50_000;
const MIB = 1024 * 1024;
const TRIVIAL: JobSpecInput = { command: 'true' };

interface Sample {
  /** Seconds since the load started. */
  t: number;
  masterRss: number;
  masterHeap: number;
  masterLoopP99: number;
  workerRss: number;
  workerHeap: number;
  workerLoopP99: number;
  e2eP99: number;
  storeBytes: number;
}

/** V8 heap in use (bytes) and event-loop delay p99 (ms) since the last scrape, from prom-client's default metrics. */
async function processMetrics(port: number, token = ''): Promise<{ heap: number; loopP99: number }> {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`, { headers })).text();
  const value = (name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  return { heap: value('nodejs_heap_size_used_bytes'), loopP99: value('nodejs_eventloop_lag_p99_seconds') * 1000 };
}

function storeBytes(dataDir: string): number {
  try {
    return readdirSync(dataDir)
      .filter((name) => name.startsWith('dist-exec.db'))
      .reduce((sum, name) => sum + statSync(join(dataDir, name)).size, 0);
  } catch {
    return NaN;
  }
}

const median = (values: number[]): number =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );

/** Relative growth of a quantity from the start of the window to the end (medians of 3 samples each). */
function growth(samples: readonly Sample[], from: number, pick: (s: Sample) => number): number {
  const start = samples
    .filter((s) => s.t >= from)
    .slice(0, 3)
    .map(pick);
  const end = samples.slice(-3).map(pick);
  return median(end) / median(start) - 1;
}

/** Trivial jobs submitted at a steady rate, each timed from its submit call to its final state reaching the client. */
class PacedLoad {
  readonly latencies: { at: number; ms: number }[] = [];
  #window: number[] = [];
  #submitted = 0;
  #failed = 0;
  #watches = new Set<Promise<void>>();
  readonly #start = performance.now();

  constructor(
    readonly cluster: BenchCluster,
    readonly perSecond: number,
  ) {}

  /** p99 of the jobs finished since the last call, in ms. */
  takeWindowP99(): number {
    const window = this.#window.sort((a, b) => a - b);
    this.#window = [];
    return percentile(window, 99);
  }

  async run(untilMs: number): Promise<void> {
    while (performance.now() < untilMs) {
      const due = Math.floor(((performance.now() - this.#start) * this.perSecond) / 1000) - this.#submitted;
      if (due > 0) this.#submit(Math.min(due, 1000));
      await new Promise((r) => setTimeout(r, TICK_MS));
    }
    await Promise.all(this.#watches);
    if (this.#failed) throw new Error(`${this.#failed} soak jobs did not complete`);
  }

  #submit(count: number): void {
    this.#submitted += count;
    const sent = performance.now();
    const watch = (async () => {
      const ids = await this.cluster.client.submitManyIds(Array.from({ length: count }, () => TRIVIAL));
      for await (const job of this.cluster.client.watchJobs(ids, { finalOnly: true })) {
        const ms = performance.now() - sent;
        this.latencies.push({ at: (performance.now() - this.#start) / 1000, ms });
        this.#window.push(ms);
        if (job.state !== 'COMPLETED') this.#failed += 1;
      }
    })();
    this.#watches.add(watch);
    void watch.finally(() => this.#watches.delete(watch));
  }
}

async function measureThroughput(cluster: BenchCluster, context: ScenarioContext, store: StoreKind): Promise<number> {
  expectCompleted(
    (
      await submitAndWait(
        cluster.client,
        Array.from({ length: 200 }, () => TRIVIAL),
      )
    ).jobs,
  );
  const known = context.results.get(`e2e-throughput.${store}`);
  if (known) return known.value;
  const run = await submitAndWait(
    cluster.client,
    Array.from({ length: 2000 }, () => TRIVIAL),
  );
  expectCompleted(run.jobs);
  return 2000 / run.seconds;
}

async function soakOne(store: StoreKind, context: ScenarioContext): Promise<Figure[]> {
  const minutes = context.soakMinutes;
  const workerPorts = await Promise.all(Array.from({ length: WORKERS }, () => freePort()));
  const cluster = await startBenchCluster({
    workers: WORKERS,
    workerArgs: ['--max-tasks', String(MAX_TASKS)],
    masterArgs: [...(await context.storeArgs(store)), '--history-max-jobs', String(HISTORY_MAX_JOBS)],
    env: context.childEnv,
    workerHttpPorts: workerPorts,
  });
  const samples: Sample[] = [];
  try {
    const throughput = await measureThroughput(cluster, context, store);
    const rate = throughput * LOAD;
    context.log(
      `${store}: e2e-throughput ${throughput.toFixed(0)} jobs/s; soaking at ${rate.toFixed(0)} jobs/s for ${minutes} min`,
    );
    const load = new PacedLoad(cluster, rate);
    const started = performance.now();
    const sampler = setInterval(() => {
      void (async () => {
        const master = await processMetrics(cluster.master.httpPort, cluster.master.token);
        const workers = await Promise.all(workerPorts.map((port) => processMetrics(port)));
        const workerRss = await Promise.all(cluster.workers.map((w) => rssBytes(w.process.pid as number)));
        const sample: Sample = {
          t: (performance.now() - started) / 1000,
          masterRss: (await rssBytes(cluster.master.process.pid as number)) / MIB,
          masterHeap: master.heap / MIB,
          masterLoopP99: master.loopP99,
          workerRss: workerRss.reduce((a, b) => a + b, 0) / MIB,
          workerHeap: workers.reduce((a, w) => a + w.heap, 0) / MIB,
          workerLoopP99: Math.max(...workers.map((w) => w.loopP99)),
          e2eP99: load.takeWindowP99(),
          storeBytes: storeBytes(cluster.master.dataDir) / MIB,
        };
        samples.push(sample);
        context.log(
          `${store} ${(sample.t / 60).toFixed(1)} min: master ${sample.masterRss.toFixed(0)} MiB (heap ${sample.masterHeap.toFixed(0)}), workers ${sample.workerRss.toFixed(0)} MiB, loop p99 ${sample.masterLoopP99.toFixed(1)} ms, e2e p99 ${sample.e2eP99.toFixed(0)} ms, store ${sample.storeBytes.toFixed(0)} MiB`,
        );
      })().catch((error: Error) => context.log(`${store}: a sample failed: ${error.message}`));
    }, SAMPLE_MS);
    try {
      await load.run(started + minutes * 60_000);
    } finally {
      clearInterval(sampler);
    }
    return judge(store, minutes, rate, samples, load, context);
  } finally {
    await cluster.stop();
  }
}

/**
 * Issue 19's rule, scaled to the run's length (30 min: warm-up 10, growth over
 * the last 20, latency of the last 5 against the first 5): memory grows under
 * 5% after warm-up and the e2e latency p99 stays within 1.5x.
 */
function judge(
  store: StoreKind,
  minutes: number,
  rate: number,
  samples: readonly Sample[],
  load: PacedLoad,
  context: ScenarioContext,
): Figure[] {
  const seconds = minutes * 60;
  const rssGrowth = Math.max(
    growth(samples, seconds / 3, (s) => s.masterRss),
    growth(samples, seconds / 3, (s) => s.workerRss),
  );
  const p99 = (from: number, to: number): number =>
    percentile(
      load.latencies
        .filter((l) => l.at >= from && l.at < to)
        .map((l) => l.ms)
        .sort((a, b) => a - b),
      99,
    );
  const edge = seconds / 6;
  const ratio = p99(seconds - edge, seconds) / p99(0, edge);
  const passed = rssGrowth < 0.05 && ratio <= 1.5;
  const dir = resolve('bench-results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `soak-${store}-${new Date().toISOString().replace(/[:.]/g, '-')}.svg`);
  const times = samples.map((s) => s.t);
  const series = (label: string, pick: (s: Sample) => number) => ({ label, values: samples.map(pick) });
  writeFileSync(
    file,
    plotSvg(`soak, ${store} store: ${rate.toFixed(0)} jobs/s for ${minutes} min: ${passed ? 'PASS' : 'FAIL'}`, times, [
      {
        title: 'RSS',
        unit: 'MiB',
        series: [series('master', (s) => s.masterRss), series('workers', (s) => s.workerRss)],
      },
      {
        title: 'V8 heap used',
        unit: 'MiB',
        series: [series('master', (s) => s.masterHeap), series('workers', (s) => s.workerHeap)],
      },
      {
        title: 'event-loop delay p99',
        unit: 'ms',
        series: [series('master', (s) => s.masterLoopP99), series('workers (max)', (s) => s.workerLoopP99)],
      },
      { title: 'e2e latency p99', unit: 'ms', series: [series('submit to result', (s) => s.e2eP99)] },
      { title: 'store size', unit: 'MiB', series: [series('database files', (s) => s.storeBytes)] },
    ]),
  );
  context.log(
    `${store}: ${passed ? 'PASS' : 'FAIL'}: memory growth ${(rssGrowth * 100).toFixed(1)}% after warm-up, latency p99 ${ratio.toFixed(2)}x; plot: ${file}`,
  );
  const params = { minutes, jobsPerS: round(rate, 0), store };
  return [
    { name: `soak.${store}.rss-growth`, value: round(rssGrowth * 100, 1), unit: '%', target: '< 5%', params },
    { name: `soak.${store}.latency-p99-ratio`, value: round(ratio, 2), unit: 'x', target: '<= 1.5x', params },
  ];
}

/** Issue 19: trivial jobs at 70% of the measured e2e-throughput for `--minutes`, sampled every 10 s, with a plot. */
export const soak: Scenario = {
  name: 'soak',
  description: `trivial jobs at ${LOAD * 100}% of the e2e-throughput for --minutes, memory and latency sampled every 10 s`,
  async run(context): Promise<Figure[]> {
    const figures: Figure[] = [];
    for (const store of context.stores) figures.push(...(await soakOne(store, context)));
    return figures;
  },
};
