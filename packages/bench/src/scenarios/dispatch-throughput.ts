import { performance } from 'node:perf_hooks';
import type { JobView } from '@dist-exec/client';
import { expectCompleted } from '../bulk.js';
import { startBenchCluster, type BenchCluster } from '../cluster.js';
import { NOOP_TASK_TYPE } from '../noop-executor.js';
import { percentile, round, type Figure, type Scenario } from '../scenario.js';
import { grpcBaselineFigure } from './grpc-baseline.js';

const JOBS = 50_000;
const WORKERS = 4;
const MAX_TASKS = 64;
const CHUNK = 5000;
const ROUNDS = 3;
const SPEC = { type: NOOP_TASK_TYPE };

/** A cluster of no-op workers, warmed up: its connections and code paths have run. */
export async function startDispatchCluster(
  store: string,
  env: NodeJS.ProcessEnv,
  auth: 'tokens' | 'none' = 'tokens',
): Promise<BenchCluster> {
  const cluster = await startBenchCluster({
    workers: WORKERS,
    noopMaxTasks: MAX_TASKS,
    masterArgs: ['--store', store],
    env,
    auth,
  });
  try {
    const warm = await cluster.client.submitMany(Array.from({ length: 2000 }, () => SPEC));
    for await (const job of cluster.client.watchJobs(
      warm.map((j) => j.id),
      { finalOnly: true },
    ))
      expectCompleted([job]);
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}

/**
 * One round: JOBS jobs queued while the workers are drained, then the
 * workers undrained; the rate from there to the last final state on the
 * client's WatchJobs streams, and how long the queueing took.
 */
export async function dispatchRound(cluster: BenchCluster): Promise<{ rate: number; submitSeconds: number }> {
  const { client } = cluster;
  const nodes = (await client.listNodes()).map((node) => node.id);
  for (const node of nodes) await client.drainNode(node);
  const finals: JobView[] = [];
  let lastAt = 0;
  const watches: Promise<void>[] = [];
  const submitStart = performance.now();
  for (let at = 0; at < JOBS; at += CHUNK) {
    const ids = await client.submitManyIds(Array.from({ length: Math.min(CHUNK, JOBS - at) }, () => SPEC));
    watches.push(
      (async () => {
        // Brief: the client holds the specs; the master encodes only each job's state and result.
        for await (const job of client.watchJobs(ids, { finalOnly: true, brief: true })) {
          finals.push(job);
          lastAt = performance.now();
        }
      })(),
    );
  }
  const submitSeconds = (performance.now() - submitStart) / 1000;
  const start = performance.now();
  await Promise.all(nodes.map((node) => client.undrainNode(node)));
  await Promise.all(watches);
  expectCompleted(finals);
  if (finals.length !== JOBS) throw new Error(`${finals.length} final states for ${JOBS} jobs`);
  return { rate: JOBS / ((lastAt - start) / 1000), submitSeconds };
}

export const DISPATCH_PARAMS = { jobs: JOBS, workers: WORKERS, maxTasks: MAX_TASKS, executor: 'no-op' };

/**
 * The master's scheduling + dispatch ceiling: jobs of a no-op executor (no
 * process) on 4 worker processes. The jobs are queued while the workers are
 * drained, then the workers are undrained: a round runs from there to the
 * last final state on the client's WatchJobs streams; the figure is the
 * median of three rounds.
 */
export const dispatchThroughput: Scenario = {
  name: 'dispatch-throughput',
  description: `${JOBS} jobs through a no-op executor on ${WORKERS} workers (--max-tasks ${MAX_TASKS}): scheduling + dispatch ceiling`,
  async run(context): Promise<Figure[]> {
    const stream = await grpcBaselineFigure(context, 'grpc-baseline.stream');
    const figures: Figure[] = [];
    for (const store of context.stores) {
      const cluster = await startDispatchCluster(store, context.childEnv);
      try {
        // Rounds in the same cluster, one after another: the median is the figure (on a shared VM single runs vary by 15%).
        const rates: number[] = [];
        for (let lap = 1; lap <= ROUNDS; lap += 1) {
          const { rate, submitSeconds } = await dispatchRound(cluster);
          rates.push(rate);
          context.log(
            `${store}: round ${lap}: queued ${JOBS} jobs in ${submitSeconds.toFixed(2)} s; ran them in ${(JOBS / rate).toFixed(2)} s`,
          );
        }
        const sorted = [...rates].sort((a, b) => a - b);
        figures.push({
          name: `dispatch-throughput.${store}`,
          value: round(percentile(sorted, 50), 0),
          unit: 'jobs/s',
          // Dispatches and their events travel in batches on one Dispatch stream per worker: bare stream messages/s bound them.
          baseline: { name: stream.name, value: stream.value },
          target: '>= 20000 jobs/s',
          params: { ...DISPATCH_PARAMS, store, rounds: rates.map((r) => Math.round(r)).join('/') },
        });
      } finally {
        await cluster.stop();
      }
    }
    return figures;
  },
};
