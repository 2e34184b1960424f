import { cgroupsUnavailable } from '@dist-exec/testing';
import { expectCompleted, submitAndWait } from '../bulk.js';
import { startBenchCluster } from '../cluster.js';
import { round, type Figure, type Scenario, type ScenarioContext, type StoreKind } from '../scenario.js';
import { spawnBaselineFigure } from './spawn-baseline.js';

const JOBS = 5000;
const WORKERS = 2;
const MAX_TASKS = 8;
const WARMUP = 200;

/** Every job asks for memory, so with cgroups each gets a memory limit written, as most real jobs would. */
const JOB = { command: 'true', memoryBytes: 64 * 1024 * 1024 };

/**
 * `true` jobs through a master and two workers, submitted in bulk: jobs/s
 * from the first submit to the last result. Per store, with job isolation
 * off (`--isolation none`) and then with a cgroup per job (`--isolation
 * cgroup`, where the machine allows it: root and writable cgroups), in the
 * same run so the second is read against the first.
 */
export const e2eThroughput: Scenario = {
  name: 'e2e-throughput',
  description: `${JOBS} true jobs through a master and ${WORKERS} workers (--max-tasks ${MAX_TASKS}), bulk submitted; isolation off, then cgroup`,
  async run(context): Promise<Figure[]> {
    const baseline = await spawnBaselineFigure(context, 'spawn-baseline.throughput');
    const figures: Figure[] = [];
    for (const store of context.stores) {
      let off = 0;
      for (const isolation of ['none', 'cgroup'] as const) {
        const rate = await measure(context, store, isolation);
        if (rate === null) continue;
        const params = { jobs: JOBS, workers: WORKERS, maxTasks: MAX_TASKS, store, isolation };
        if (isolation === 'none') {
          off = rate;
          figures.push({
            name: `e2e-throughput.${store}`,
            value: rate,
            unit: 'jobs/s',
            baseline: { name: baseline.name, value: baseline.value },
            target: '>= 1000 jobs/s',
            params,
          });
        } else {
          figures.push({
            name: `e2e-throughput.${store}.cgroup`,
            value: rate,
            unit: 'jobs/s',
            baseline: { name: `e2e-throughput.${store}`, value: off },
            target: '>= 0.85x isolation off',
            params,
          });
        }
      }
    }
    return figures;
  },
};

/** jobs/s of one cluster; null when its workers cannot isolate jobs as asked (cgroups need root). */
async function measure(
  context: ScenarioContext,
  store: StoreKind,
  isolation: 'none' | 'cgroup',
): Promise<number | null> {
  const unavailable = isolation === 'cgroup' ? cgroupsUnavailable() : '';
  if (unavailable) {
    context.log(`${store}: no figure with cgroup isolation: ${unavailable}`);
    return null;
  }
  const cluster = await startBenchCluster({
    workers: WORKERS,
    workerArgs: ['--max-tasks', String(MAX_TASKS), '--isolation', isolation],
    masterArgs: ['--store', store],
    env: context.childEnv,
  });
  try {
    expectCompleted(
      (
        await submitAndWait(
          cluster.client,
          Array.from({ length: WARMUP }, () => JOB),
        )
      ).jobs,
    );
    const run = await submitAndWait(
      cluster.client,
      Array.from({ length: JOBS }, () => JOB),
    );
    expectCompleted(run.jobs);
    context.log(`${store}, isolation ${isolation}: ${JOBS} jobs in ${run.seconds.toFixed(2)} s`);
    return round(JOBS / run.seconds, 0);
  } finally {
    await cluster.stop();
  }
}
