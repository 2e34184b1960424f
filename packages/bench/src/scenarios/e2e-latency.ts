import { performance } from 'node:perf_hooks';
import { expectCompleted } from '../bulk.js';
import { startBenchCluster } from '../cluster.js';
import { percentile, round, type Figure, type Scenario } from '../scenario.js';
import { spawnBaselineFigure } from './spawn-baseline.js';

const JOBS = 500;
const WARMUP = 50;

/**
 * `true` jobs one at a time through one worker, timed as the CLI sees them:
 * SubmitJob, then WatchJob until the final state.
 */
export const e2eLatency: Scenario = {
  name: 'e2e-latency',
  description: `${JOBS} true jobs one at a time through 1 worker: submit to result as the client sees it`,
  async run(context): Promise<Figure[]> {
    const single = await spawnBaselineFigure(context, 'spawn-baseline.single-p50');
    const baseline = { name: single.name, value: single.value };
    const figures: Figure[] = [];
    for (const store of context.stores) {
      const cluster = await startBenchCluster({ workers: 1, masterArgs: ['--store', store], env: context.childEnv });
      try {
        const once = async (): Promise<number> => {
          const start = performance.now();
          const { job } = await cluster.client.submit({ command: 'true' });
          const done = await cluster.client.waitForJob(job.id);
          const elapsed = performance.now() - start;
          expectCompleted([done]);
          return elapsed;
        };
        for (let i = 0; i < WARMUP; i += 1) await once();
        const latencies: number[] = [];
        for (let i = 0; i < JOBS; i += 1) latencies.push(await once());
        latencies.sort((a, b) => a - b);
        const p50 = percentile(latencies, 50);
        const params = { jobs: JOBS, workers: 1, store };
        context.log(`${store}: p50 ${p50.toFixed(2)} ms, p99 ${percentile(latencies, 99).toFixed(2)} ms, max ${latencies[latencies.length - 1]?.toFixed(2)} ms`);
        figures.push(
          { name: `e2e-latency.${store}.p50`, value: round(p50, 2), unit: 'ms', baseline, target: '<= 3 ms', params },
          { name: `e2e-latency.${store}.p99`, value: round(percentile(latencies, 99), 2), unit: 'ms', baseline, target: '<= 10 ms', params },
          { name: `e2e-latency.${store}.overhead-p50`, value: round(p50 - single.value, 2), unit: 'ms', params: { ...params, over: single.name } },
        );
      } finally {
        await cluster.stop();
      }
    }
    return figures;
  },
};
