import { request, type ClientRequest } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { DistExecClient, JobView } from '@dist-exec/client';
import { httpRequest } from '@dist-exec/testing';
import { expectCompleted } from '../bulk.js';
import { startBenchCluster } from '../cluster.js';
import { NOOP_TASK_TYPE } from '../noop-executor.js';
import { percentile, round, type Figure, type Scenario } from '../scenario.js';

const JOBS = 20_000;
const WORKERS = 4;
const MAX_TASKS = 64;
const CHUNK = 5000;
const DASHBOARDS = 3;
const SCRAPE_EVERY_MS = 100;
const SAMPLES = 200;
const ROUNDS = 3;

/** Queues `count` no-op jobs on drained workers, undrains them, and returns the rate at which they finished. */
async function dispatchRate(client: DistExecClient, count: number): Promise<number> {
  const spec = { type: NOOP_TASK_TYPE };
  const nodes = (await client.listNodes()).map((node) => node.id);
  for (const node of nodes) await client.drainNode(node);
  const finals: JobView[] = [];
  let lastAt = 0;
  const watches: Promise<void>[] = [];
  for (let at = 0; at < count; at += CHUNK) {
    const ids = (await client.submitMany(Array.from({ length: Math.min(CHUNK, count - at) }, () => spec))).map(
      (job) => job.id,
    );
    watches.push(
      (async () => {
        for await (const job of client.watchJobs(ids, { finalOnly: true })) {
          finals.push(job);
          lastAt = performance.now();
        }
      })(),
    );
  }
  const start = performance.now();
  await Promise.all(nodes.map((node) => client.undrainNode(node)));
  await Promise.all(watches);
  expectCompleted(finals);
  return count / ((lastAt - start) / 1000);
}

/** An open dashboard: one server-sent events connection, read and counted. */
function openFeed(port: number, token: string, counter: { bytes: number }): ClientRequest {
  const req = request(
    {
      host: '127.0.0.1',
      port,
      path: '/api/v1/events',
      headers: { accept: 'text/event-stream', authorization: `Bearer ${token}` },
    },
    (res) => {
      res.on('data', (part: Buffer) => (counter.bytes += part.length));
    },
  );
  req.on('error', () => {});
  req.end();
  return req;
}

async function latencies(samples: number, call: () => Promise<unknown>): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < samples; i += 1) {
    const start = performance.now();
    await call();
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b);
}

/**
 * What watching the master costs it: the no-op dispatch rate with nobody
 * looking, then with three dashboards open (live feed) and Prometheus
 * scraping every 100 ms; and how fast /metrics, /api/v1/cluster and an HTTP
 * submit answer.
 */
export const observability: Scenario = {
  name: 'observability',
  description: `${JOBS} no-op jobs with and without ${DASHBOARDS} dashboards + a /metrics scrape every ${SCRAPE_EVERY_MS} ms; HTTP endpoint latencies`,
  async run(context): Promise<Figure[]> {
    const figures: Figure[] = [];
    for (const store of context.stores) {
      const cluster = await startBenchCluster({
        workers: WORKERS,
        noopMaxTasks: MAX_TASKS,
        masterArgs: ['--store', store],
        env: context.childEnv,
      });
      const port = cluster.master.httpPort;
      // A dashboard and Prometheus present a token, as users' do.
      const token = cluster.master.token;
      const params = { jobs: JOBS, rounds: ROUNDS, workers: WORKERS, maxTasks: MAX_TASKS, executor: 'no-op', store };
      try {
        await dispatchRate(cluster.client, 2000); // warm-up
        // Alternated rounds, medians: a shared, busy machine drifts over a run.
        const aloneRates: number[] = [];
        const watchedRates: number[] = [];
        const feed = { bytes: 0 };
        let scrapes = 0;
        for (let round = 0; round < ROUNDS; round += 1) {
          aloneRates.push(await dispatchRate(cluster.client, JOBS));
          const feeds = Array.from({ length: DASHBOARDS }, () => openFeed(port, token, feed));
          const scraper = setInterval(() => {
            void httpRequest(`http://127.0.0.1:${port}/metrics`, { token }).then(
              () => (scrapes += 1),
              () => {},
            );
          }, SCRAPE_EVERY_MS);
          watchedRates.push(await dispatchRate(cluster.client, JOBS));
          clearInterval(scraper);
          for (const req of feeds) req.destroy();
        }
        const alone = percentile(
          aloneRates.sort((a, b) => a - b),
          50,
        );
        const watched = percentile(
          watchedRates.sort((a, b) => a - b),
          50,
        );
        context.log(
          `${store}: alone ${aloneRates.map((r) => Math.round(r)).join(', ')} jobs/s; watched ${watchedRates.map((r) => Math.round(r)).join(', ')} jobs/s ` +
            `(${scrapes} scrapes, ${Math.round(feed.bytes / 1024)} KiB of live feed)`,
        );

        const metrics = await latencies(SAMPLES, () => httpRequest(`http://127.0.0.1:${port}/metrics`, { token }));
        const exposition = (await httpRequest(`http://127.0.0.1:${port}/metrics`, { token })).text;
        const snapshot = await latencies(SAMPLES, () =>
          httpRequest(`http://127.0.0.1:${port}/api/v1/cluster`, { token }),
        );
        const submit = await latencies(SAMPLES, () =>
          httpRequest(`http://127.0.0.1:${port}/api/v1/jobs`, {
            token,
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ type: NOOP_TASK_TYPE }),
          }),
        );
        const grpcSubmit = await latencies(SAMPLES, () => cluster.client.submit({ type: NOOP_TASK_TYPE }));
        const finished = 2000 + 2 * ROUNDS * JOBS + SAMPLES;
        figures.push(
          { name: `observability.${store}.dispatch-alone`, value: round(alone, 0), unit: 'jobs/s', params },
          {
            name: `observability.${store}.dispatch-watched`,
            value: round(watched, 0),
            unit: 'jobs/s',
            baseline: { name: `observability.${store}.dispatch-alone`, value: round(alone, 0) },
            params: { ...params, dashboards: DASHBOARDS, scrapeEveryMs: SCRAPE_EVERY_MS },
          },
          {
            name: `observability.${store}.metrics-p50`,
            value: round(percentile(metrics, 50), 2),
            unit: 'ms',
            params: { bytes: exposition.length },
          },
          {
            name: `observability.${store}.cluster-p50`,
            value: round(percentile(snapshot, 50), 2),
            unit: 'ms',
            params: { finishedJobs: finished },
          },
          {
            name: `observability.${store}.http-submit-p50`,
            value: round(percentile(submit, 50), 2),
            unit: 'ms',
            baseline: { name: `observability.${store}.grpc-submit-p50`, value: round(percentile(grpcSubmit, 50), 2) },
          },
        );
      } finally {
        await cluster.stop();
      }
    }
    return figures;
  },
};
