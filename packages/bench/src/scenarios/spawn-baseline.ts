import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { percentile, round, type Figure, type Scenario, type ScenarioContext } from '../scenario.js';

const JOBS = 2000;
const IN_FLIGHT = 8;

function spawnOnce(): Promise<number> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', 'true'], { stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', () => resolve(performance.now() - start));
  });
}

async function measure(): Promise<Figure[]> {
  for (let i = 0; i < 50; i += 1) await spawnOnce();
  const latencies: number[] = [];
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < JOBS) {
        next += 1;
        latencies.push(await spawnOnce());
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  const single: number[] = [];
  for (let i = 0; i < 200; i += 1) single.push(await spawnOnce());
  latencies.sort((a, b) => a - b);
  single.sort((a, b) => a - b);
  const params = { jobs: JOBS, inFlight: IN_FLIGHT };
  return [
    { name: 'spawn-baseline.throughput', value: round(JOBS / seconds, 0), unit: 'jobs/s', params },
    { name: 'spawn-baseline.p50', value: round(percentile(latencies, 50), 2), unit: 'ms', params },
    {
      name: 'spawn-baseline.single-p50',
      value: round(percentile(single, 50), 2),
      unit: 'ms',
      params: { jobs: 200, inFlight: 1 },
    },
  ];
}

export type SpawnBaselineFigure = 'spawn-baseline.throughput' | 'spawn-baseline.p50' | 'spawn-baseline.single-p50';

/**
 * A spawn-baseline figure of this run: the one already measured, or measured
 * now (when the scenario was left out with --only), so ratios never compare
 * with another run on a differently loaded machine.
 */
export async function spawnBaselineFigure(context: ScenarioContext, name: SpawnBaselineFigure): Promise<Figure> {
  if (!context.results.has(name)) {
    context.log('measuring spawn-baseline for the ratio');
    for (const figure of await measure()) context.results.set(figure.name, figure);
  }
  return context.results.get(name) as Figure;
}

/** Bare child_process.spawn of `sh -c true`, 8 in flight: the ceiling for shell jobs from one Node process. */
export const spawnBaseline: Scenario = {
  name: 'spawn-baseline',
  description: `bare child_process.spawn of sh -c true, ${IN_FLIGHT} in flight`,
  run: measure,
};
