import { expectCompleted, submitAndWait } from '../bulk.js';
import { startBenchCluster } from '../cluster.js';
import { round, type Figure, type Scenario } from '../scenario.js';
import { spawnBaselineFigure } from './spawn-baseline.js';

const JOBS = 5000;
const WORKERS = 2;
const MAX_TASKS = 8;
const WARMUP = 200;

/** `true` jobs through a master and two workers, submitted in bulk: jobs/s from the first submit to the last result. */
export const e2eThroughput: Scenario = {
  name: 'e2e-throughput',
  postgres: true,
  description: `${JOBS} true jobs through a master and ${WORKERS} workers (--max-tasks ${MAX_TASKS}), bulk submitted`,
  async run(context): Promise<Figure[]> {
    const baseline = await spawnBaselineFigure(context, 'spawn-baseline.throughput');
    const figures: Figure[] = [];
    for (const store of context.stores) {
      const cluster = await startBenchCluster({
        workers: WORKERS,
        workerArgs: ['--max-tasks', String(MAX_TASKS)],
        masterArgs: await context.storeArgs(store),
        env: context.childEnv,
      });
      try {
        expectCompleted(
          (
            await submitAndWait(
              cluster.client,
              Array.from({ length: WARMUP }, () => ({ command: 'true' })),
            )
          ).jobs,
        );
        const run = await submitAndWait(
          cluster.client,
          Array.from({ length: JOBS }, () => ({ command: 'true' })),
        );
        expectCompleted(run.jobs);
        context.log(`${store}: ${JOBS} jobs in ${run.seconds.toFixed(2)} s`);
        // PostgreSQL is compared with SQLite, the store it stands beside, when both ran.
        const sqlite = figures.find((f) => f.name === 'e2e-throughput.sqlite');
        figures.push({
          name: `e2e-throughput.${store}`,
          value: round(JOBS / run.seconds, 0),
          unit: 'jobs/s',
          baseline:
            store === 'postgres' && sqlite
              ? { name: sqlite.name, value: sqlite.value }
              : { name: baseline.name, value: baseline.value },
          target: store === 'postgres' ? '>= 1000 jobs/s and >= 0.7x sqlite' : '>= 1000 jobs/s',
          params: { jobs: JOBS, workers: WORKERS, maxTasks: MAX_TASKS, store },
        });
      } finally {
        await cluster.stop();
      }
    }
    return figures;
  },
};
