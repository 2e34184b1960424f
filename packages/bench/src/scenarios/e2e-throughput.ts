import { cgroupsUnavailable } from '@dist-exec/testing';
import { expectCompleted, submitAndWait } from '../bulk.js';
import { startBenchCluster, type BenchCluster } from '../cluster.js';
import { round, type Figure, type Scenario, type ScenarioContext, type StoreKind } from '../scenario.js';
import { spawnBaselineFigure } from './spawn-baseline.js';

const JOBS = 5000;
const WORKERS = 2;
const MAX_TASKS = 8;
const WARMUP = 200;
/** Rounds, taking turns between isolation off and on; each figure is the median of its rounds. */
const ROUNDS = 3;

/** Every job asks for memory, so with cgroups each gets a memory limit, as most real jobs would. */
const JOB = { command: 'true', memoryBytes: 64 * 1024 * 1024 };

type Isolation = 'none' | 'cgroup';

/**
 * `true` jobs through a master and two workers, submitted in bulk: jobs/s
 * from the first submit to the last result. Per store, a cluster with job
 * isolation off (`--isolation none`) and one with a cgroup per job
 * (`--isolation cgroup`, where the machine allows it: root and writable
 * cgroups), both up for the whole measurement and taking turns, round after
 * round, so a burst of load from elsewhere hits both alike.
 */
export const e2eThroughput: Scenario = {
  name: 'e2e-throughput',
  postgres: true,
  description: `${JOBS} true jobs through a master and ${WORKERS} workers (--max-tasks ${MAX_TASKS}), bulk submitted; isolation off and cgroup taking turns (${ROUNDS} rounds, medians)`,
  async run(context): Promise<Figure[]> {
    const baseline = await spawnBaselineFigure(context, 'spawn-baseline.throughput');
    const figures: Figure[] = [];
    for (const store of context.stores) {
      const rates = await measure(context, store);
      const params = { jobs: JOBS, workers: WORKERS, maxTasks: MAX_TASKS, store, rounds: ROUNDS };
      const off = median(rates.none);
      const sqlite = figures.find((f) => f.name === 'e2e-throughput.sqlite');
      figures.push({
        name: `e2e-throughput.${store}`,
        value: off,
        unit: 'jobs/s',
        // PostgreSQL is compared with SQLite, the store it stands beside, when both ran.
        baseline:
          store === 'postgres' && sqlite
            ? { name: sqlite.name, value: sqlite.value }
            : { name: baseline.name, value: baseline.value },
        target: store === 'postgres' ? '>= 1000 jobs/s and >= 0.7x sqlite' : '>= 1000 jobs/s',
        params: { ...params, isolation: 'none' },
      });
      if (rates.cgroup.length)
        figures.push({
          name: `e2e-throughput.${store}.cgroup`,
          value: median(rates.cgroup),
          unit: 'jobs/s',
          baseline: { name: `e2e-throughput.${store}`, value: off },
          target: '>= 0.85x isolation off',
          params: { ...params, isolation: 'cgroup' },
        });
    }
    return figures;
  },
};

/** jobs/s of each round of each cluster; none for cgroup where its workers cannot have them (root). */
async function measure(context: ScenarioContext, store: StoreKind): Promise<Record<Isolation, number[]>> {
  const unavailable = cgroupsUnavailable();
  if (unavailable) context.log(`${store}: no figure with cgroup isolation: ${unavailable}`);
  const clusters = new Map<Isolation, BenchCluster>();
  const rates: Record<Isolation, number[]> = { none: [], cgroup: [] };
  try {
    for (const isolation of unavailable ? (['none'] as const) : (['none', 'cgroup'] as const)) {
      const cluster = await startBenchCluster({
        workers: WORKERS,
        workerArgs: ['--max-tasks', String(MAX_TASKS), '--isolation', isolation],
        masterArgs: await context.storeArgs(store),
        env: context.childEnv,
      });
      clusters.set(isolation, cluster);
      expectCompleted(
        (
          await submitAndWait(
            cluster.client,
            Array.from({ length: WARMUP }, () => JOB),
          )
        ).jobs,
      );
    }
    for (let i = 0; i < ROUNDS; i += 1) {
      for (const [isolation, cluster] of clusters) {
        const run = await submitAndWait(
          cluster.client,
          Array.from({ length: JOBS }, () => JOB),
        );
        expectCompleted(run.jobs);
        rates[isolation].push(round(JOBS / run.seconds, 0));
      }
    }
    context.log(`${store}: isolation none ${rates.none.join(', ')} jobs/s; cgroup ${rates.cgroup.join(', ')} jobs/s`);
    return rates;
  } finally {
    for (const cluster of clusters.values()) await cluster.stop();
  }
}

function median(values: readonly number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
}
