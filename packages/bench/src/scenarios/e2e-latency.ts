import { performance } from 'node:perf_hooks';
import type { DistExecClient } from '@dist-exec/client';
import type { Job } from '@dist-exec/core';
import { expectCompleted } from '../bulk.js';
import { startBenchCluster } from '../cluster.js';
import { percentile, round, type Figure, type Scenario } from '../scenario.js';
import { spawnBaselineFigure } from './spawn-baseline.js';

const JOBS = 500;
const WARMUP = 50;

/**
 * Where one job's latency goes, from the job's own timestamps (master and
 * worker share this machine's clock; whole ms, so only means are meaningful):
 * submit = from the call to its first event (the stored job), as the client
 * sees it; queue = created to dispatched; dispatch-to-start = dispatched to
 * the worker's process started;
 * start-to-finish = process run, exit and result back on the master; notify =
 * final state to the client receiving it.
 */
type Stage = 'submit' | 'queue' | 'dispatch-to-start' | 'start-to-finish' | 'notify';

/**
 * One `true` job as `dist-exec run` runs it: one RunJob call, timed from the
 * call to the final state (`elapsed`), and to the first event (`submitted`), in ms.
 */
export async function timeRun(
  client: DistExecClient,
): Promise<{ elapsed: number; submitted: number; done: Job; receivedAtMs: number }> {
  const start = performance.now();
  let submitted = 0;
  let done: Job | undefined;
  for await (const event of client.run({ command: 'true' }, { noOutput: true, finalOnly: true })) {
    if (event.type === 'submitted') submitted = performance.now() - start;
    else if (event.type === 'job') done = event.job;
  }
  if (!done) throw new Error('the run ended without the final state');
  const elapsed = performance.now() - start;
  const receivedAtMs = Date.now();
  expectCompleted([done]);
  return { elapsed, submitted, done, receivedAtMs };
}

/**
 * `true` jobs one at a time through one worker, timed as `dist-exec run`
 * sees them: one RunJob call, from the call to the final state.
 */
export const e2eLatency: Scenario = {
  name: 'e2e-latency',
  postgres: true,
  description: `${JOBS} true jobs one at a time through 1 worker: submit to result as the client sees it`,
  async run(context): Promise<Figure[]> {
    const single = await spawnBaselineFigure(context, 'spawn-baseline.single-p50');
    const baseline = { name: single.name, value: single.value };
    const figures: Figure[] = [];
    for (const store of context.stores) {
      const cluster = await startBenchCluster({
        workers: 1,
        masterArgs: await context.storeArgs(store),
        env: context.childEnv,
      });
      try {
        const stages: Record<Stage, number[]> = {
          submit: [],
          queue: [],
          'dispatch-to-start': [],
          'start-to-finish': [],
          notify: [],
        };
        const once = async (record: boolean): Promise<number> => {
          const { elapsed, submitted, done, receivedAtMs } = await timeRun(cluster.client);
          const attempt = done.attemptHistory[0];
          if (record && attempt?.startedAtMs && done.finishedAtMs) {
            stages.submit.push(submitted);
            stages.queue.push(attempt.dispatchedAtMs - done.createdAtMs);
            stages['dispatch-to-start'].push(attempt.startedAtMs - attempt.dispatchedAtMs);
            stages['start-to-finish'].push(done.finishedAtMs - attempt.startedAtMs);
            stages.notify.push(receivedAtMs - done.finishedAtMs);
          }
          return elapsed;
        };
        for (let i = 0; i < WARMUP; i += 1) await once(false);
        const latencies: number[] = [];
        for (let i = 0; i < JOBS; i += 1) latencies.push(await once(true));
        latencies.sort((a, b) => a - b);
        const p50 = percentile(latencies, 50);
        const params = { jobs: JOBS, workers: 1, store };
        context.log(
          `${store}: p50 ${p50.toFixed(2)} ms, p99 ${percentile(latencies, 99).toFixed(2)} ms, max ${latencies[latencies.length - 1]?.toFixed(2)} ms`,
        );
        figures.push(
          { name: `e2e-latency.${store}.p50`, value: round(p50, 2), unit: 'ms', baseline, target: '<= 3 ms', params },
          {
            name: `e2e-latency.${store}.p99`,
            value: round(percentile(latencies, 99), 2),
            unit: 'ms',
            baseline,
            target: '<= 10 ms',
            params,
          },
          {
            name: `e2e-latency.${store}.overhead-p50`,
            value: round(p50 - single.value, 2),
            unit: 'ms',
            params: { ...params, over: single.name },
          },
          ...Object.entries(stages).map(([stage, values]) => ({
            name: `e2e-latency.${store}.mean.${stage}`,
            value: round(values.reduce((a, b) => a + b, 0) / Math.max(1, values.length), 2),
            unit: 'ms',
            params: { ...params, clock: stage === 'submit' ? 'client' : 'job timestamps (ms)' },
          })),
        );
      } finally {
        await cluster.stop();
      }
    }
    return figures;
  },
};
