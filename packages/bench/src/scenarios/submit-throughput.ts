import { performance } from 'node:perf_hooks';
import type { DistExecClient, JobSpecInput } from '@dist-exec/client';
import { startBenchCluster } from '../cluster.js';
import { percentile, round, type Figure, type Scenario } from '../scenario.js';

const BULK_JOBS = 100_000;
const BULK_CHUNK = 1000;
const BULK_IN_FLIGHT = 4;
const CONCURRENT_JOBS = 10_000;
const CONCURRENT_IN_FLIGHT = 64;
const SINGLE_JOBS = 1000;
const WARMUP = 200;

const SPEC: JobSpecInput = { command: 'true' };

/** Runs `total` units of work with at most `inFlight` at once; resolves with the seconds it took. */
async function timed(total: number, inFlight: number, one: () => Promise<unknown>): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < total) {
        next += 1;
        await one();
      }
    }),
  );
  return (performance.now() - start) / 1000;
}

interface SubmitFigures {
  bulkPerSecond: number;
  bulkJobsPerSecond: number;
  concurrentPerSecond: number;
  p50: number;
  p99: number;
}

/**
 * No workers, so submitted jobs stay queued and only submission is measured:
 * SubmitJobs in chunks (bulk), many single SubmitJobs in flight (where group
 * commit pays), and single submits one at a time (latency, one fsync each
 * with sqlite).
 */
async function measure(client: DistExecClient): Promise<SubmitFigures> {
  const chunk = Array.from({ length: BULK_CHUNK }, () => SPEC);
  for (let i = 0; i < WARMUP; i += 1) await client.submit(SPEC);
  // As `run --array` submits: answered with ids only; then with whole jobs in the answer.
  const bulkSeconds = await timed(BULK_JOBS / BULK_CHUNK, BULK_IN_FLIGHT, () => client.submitManyIds(chunk));
  const bulkJobsSeconds = await timed(BULK_JOBS / BULK_CHUNK, BULK_IN_FLIGHT, () => client.submitMany(chunk));
  const concurrentSeconds = await timed(CONCURRENT_JOBS, CONCURRENT_IN_FLIGHT, () => client.submit(SPEC));
  const latencies: number[] = [];
  for (let i = 0; i < SINGLE_JOBS; i += 1) {
    const start = performance.now();
    await client.submit(SPEC);
    latencies.push(performance.now() - start);
  }
  latencies.sort((a, b) => a - b);
  return {
    bulkPerSecond: BULK_JOBS / bulkSeconds,
    bulkJobsPerSecond: BULK_JOBS / bulkJobsSeconds,
    concurrentPerSecond: CONCURRENT_JOBS / concurrentSeconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

/** Submission rate and latency per store; sqlite's and postgres's figures carry memory's from the same run as their baseline. */
export const submitThroughput: Scenario = {
  name: 'submit-throughput',
  postgres: true,
  description: `submission alone: ${BULK_JOBS} jobs by SubmitJobs in chunks of ${BULK_CHUNK} (answered with ids, then with whole jobs), ${CONCURRENT_JOBS} single submits ${CONCURRENT_IN_FLIGHT} in flight, ${SINGLE_JOBS} one at a time`,
  async run(context): Promise<Figure[]> {
    const measured = new Map<string, SubmitFigures>();
    // Memory first, so that the durable stores' figures can be compared with it.
    const stores = [...context.stores].sort((a) => (a === 'memory' ? -1 : 1));
    for (const store of stores) {
      const cluster = await startBenchCluster({
        workers: 0,
        masterArgs: await context.storeArgs(store),
        env: context.childEnv,
      });
      try {
        const result = await measure(cluster.client);
        measured.set(store, result);
        context.log(
          `${store}: bulk ${round(result.bulkPerSecond, 0)}/s (whole jobs answered ${round(result.bulkJobsPerSecond, 0)}/s), ${CONCURRENT_IN_FLIGHT} in flight ${round(result.concurrentPerSecond, 0)}/s, single p50 ${result.p50.toFixed(2)} ms p99 ${result.p99.toFixed(2)} ms`,
        );
      } finally {
        await cluster.stop();
      }
    }
    const memory = measured.get('memory');
    const figures: Figure[] = [];
    for (const [store, result] of measured) {
      const against = (name: string, value: number | undefined): Pick<Figure, 'baseline'> =>
        store !== 'memory' && value !== undefined
          ? { baseline: { name: `submit-throughput.memory.${name}`, value: round(value, 0) } }
          : {};
      const params = { store };
      figures.push(
        {
          name: `submit-throughput.${store}.bulk`,
          value: round(result.bulkPerSecond, 0),
          unit: 'jobs/s',
          ...against('bulk', memory?.bulkPerSecond),
          target: store === 'memory' ? '>= 50000 jobs/s' : '>= 25000 jobs/s and >= 0.5x memory',
          params: { ...params, jobs: BULK_JOBS, chunk: BULK_CHUNK, inFlight: BULK_IN_FLIGHT, answer: 'ids' },
        },
        {
          name: `submit-throughput.${store}.bulk-jobs`,
          value: round(result.bulkJobsPerSecond, 0),
          unit: 'jobs/s',
          ...against('bulk-jobs', memory?.bulkJobsPerSecond),
          params: { ...params, jobs: BULK_JOBS, chunk: BULK_CHUNK, inFlight: BULK_IN_FLIGHT, answer: 'jobs' },
        },
        {
          name: `submit-throughput.${store}.single-concurrent`,
          value: round(result.concurrentPerSecond, 0),
          unit: 'jobs/s',
          ...against('single-concurrent', memory?.concurrentPerSecond),
          ...(store === 'memory' ? {} : { target: '>= 0.5x memory' }),
          params: { ...params, jobs: CONCURRENT_JOBS, inFlight: CONCURRENT_IN_FLIGHT },
        },
        {
          name: `submit-throughput.${store}.single-p50`,
          value: round(result.p50, 2),
          unit: 'ms',
          params: { ...params, jobs: SINGLE_JOBS },
        },
        {
          name: `submit-throughput.${store}.single-p99`,
          value: round(result.p99, 2),
          unit: 'ms',
          params: { ...params, jobs: SINGLE_JOBS },
        },
      );
    }
    return figures;
  },
};
