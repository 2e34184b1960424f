import { processCpuMs, startBenchCluster, type BenchCluster } from '../cluster.js';
import { percentile, round, type Figure, type Scenario } from '../scenario.js';
import { DISPATCH_PARAMS, dispatchRound, startDispatchCluster } from './dispatch-throughput.js';
import { timeRun } from './e2e-latency.js';

/** Rounds of dispatch-throughput per cluster, taken in turns. */
const ROUNDS = 5;
/** Latency jobs per cluster, in blocks (CPU is read per block), a job on one cluster then one on the other. */
const LATENCY_BLOCKS = 8;
const LATENCY_BLOCK = 50;
const LATENCY_WARMUP = 50;

type Auth = 'tokens' | 'none';

/** The median of a list. */
const median = (values: readonly number[]): number =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );

/** CPU time of a cluster's master and of its workers so far, in ms. */
function clusterCpu(cluster: BenchCluster): { master: number; workers: number } {
  const pid = (p: { process: { pid?: number } }): number => p.process.pid as number;
  return {
    master: processCpuMs(pid(cluster.master)),
    workers: cluster.workers.reduce((sum, worker) => sum + processCpuMs(pid(worker)), 0),
  };
}

interface CpuUse {
  master: number;
  total: number;
}

/** CPU spent between two readings, per `per` jobs of `jobs`. */
function cpuPer(
  before: { master: number; workers: number },
  after: { master: number; workers: number },
  jobs: number,
  per: number,
): CpuUse {
  const master = ((after.master - before.master) / jobs) * per;
  const workers = ((after.workers - before.workers) / jobs) * per;
  return { master, total: master + workers };
}

/** The medians of per-round readings: another process's burst inflates a round, not the figure. */
function medianUse(uses: readonly CpuUse[]): CpuUse {
  return { master: median(uses.map((u) => u.master)), total: median(uses.map((u) => u.total)) };
}

/**
 * What authentication costs: dispatch-throughput and e2e-latency on a
 * cluster that checks every call (the default) beside one started with
 * `--auth none` (master and workers), both alive at once and measured in
 * turns (a round or a job on one, then on the other), so the machine's
 * noise falls on both alike. The memory store only: the sqlite store's
 * fsyncs would hide what the checks cost.
 */
export const authCost: Scenario = {
  name: 'auth-cost',
  description:
    'dispatch-throughput and e2e-latency with tokens checked on every call, beside --auth none (memory store)',
  async run(context): Promise<Figure[]> {
    const figures: Figure[] = [];
    const rates: Record<Auth, number[]> = { tokens: [], none: [] };
    const dispatch: Partial<Record<Auth, BenchCluster>> = {};
    // CPU time is what the checks cost; rates on a loaded machine say more about the load.
    const dispatchUse: Record<Auth, CpuUse[]> = { tokens: [], none: [] };
    try {
      dispatch.tokens = await startDispatchCluster('memory', context.childEnv, 'tokens');
      dispatch.none = await startDispatchCluster('memory', context.childEnv, 'none');
      for (let lap = 1; lap <= ROUNDS; lap += 1) {
        for (const auth of lap % 2 ? (['tokens', 'none'] as const) : (['none', 'tokens'] as const)) {
          const cluster = dispatch[auth] as BenchCluster;
          const before = clusterCpu(cluster);
          const { rate } = await dispatchRound(cluster);
          const use = cpuPer(before, clusterCpu(cluster), DISPATCH_PARAMS.jobs, 1000);
          rates[auth].push(rate);
          dispatchUse[auth].push(use);
          context.log(
            `dispatch, auth ${auth}: round ${lap}: ${Math.round(rate)} jobs/s, ${use.total.toFixed(1)} ms CPU per 1000 jobs`,
          );
        }
      }
    } finally {
      await dispatch.tokens?.stop();
      await dispatch.none?.stop();
    }
    const on = median(rates.tokens);
    const off = median(rates.none);
    const params = { ...DISPATCH_PARAMS, store: 'memory' };
    figures.push(
      {
        name: 'auth-cost.dispatch-throughput.none',
        value: round(off, 0),
        unit: 'jobs/s',
        params: { ...params, auth: 'none', rounds: rates.none.map(Math.round).join('/') },
      },
      {
        name: 'auth-cost.dispatch-throughput.tokens',
        value: round(on, 0),
        unit: 'jobs/s',
        baseline: { name: 'auth-cost.dispatch-throughput.none', value: round(off, 0) },
        params: { ...params, auth: 'tokens', rounds: rates.tokens.map(Math.round).join('/') },
      },
      {
        name: 'auth-cost.dispatch-throughput.cost',
        value: round(((off - on) / off) * 100, 1),
        unit: '%',
        target: '<= 5%',
        params: { of: 'throughput lost to auth (median of rounds taken in turns)' },
      },
      ...cpuFigures(
        'dispatch',
        { tokens: medianUse(dispatchUse.tokens), none: medianUse(dispatchUse.none) },
        'ms per 1000 jobs',
      ),
    );

    const latencies: Record<Auth, number[]> = { tokens: [], none: [] };
    const single: Partial<Record<Auth, BenchCluster>> = {};
    const latencyUse: Record<Auth, CpuUse[]> = { tokens: [], none: [] };
    try {
      for (const auth of ['tokens', 'none'] as const)
        single[auth] = await startBenchCluster({
          workers: 1,
          masterArgs: ['--store', 'memory'],
          env: context.childEnv,
          auth,
        });
      const clusters = single as Record<Auth, BenchCluster>;
      const turns = async (count: number, record: boolean): Promise<void> => {
        for (let i = 0; i < count; i += 1) {
          for (const auth of i % 2 ? (['none', 'tokens'] as const) : (['tokens', 'none'] as const)) {
            const { elapsed } = await timeRun(clusters[auth].client);
            if (record) latencies[auth].push(elapsed);
          }
        }
      };
      await turns(LATENCY_WARMUP, false);
      for (let block = 0; block < LATENCY_BLOCKS; block += 1) {
        const before = { tokens: clusterCpu(clusters.tokens), none: clusterCpu(clusters.none) };
        await turns(LATENCY_BLOCK, true);
        for (const auth of ['tokens', 'none'] as const)
          latencyUse[auth].push(cpuPer(before[auth], clusterCpu(clusters[auth]), LATENCY_BLOCK, 1));
      }
    } finally {
      await single.tokens?.stop();
      await single.none?.stop();
    }
    const p50 = { tokens: median(latencies.tokens), none: median(latencies.none) };
    const latencyParams = { jobs: LATENCY_BLOCKS * LATENCY_BLOCK, workers: 1, store: 'memory' };
    context.log(`e2e-latency p50: auth tokens ${p50.tokens.toFixed(2)} ms, none ${p50.none.toFixed(2)} ms`);
    figures.push(
      {
        name: 'auth-cost.e2e-latency.none.p50',
        value: round(p50.none, 2),
        unit: 'ms',
        params: { ...latencyParams, auth: 'none' },
      },
      {
        name: 'auth-cost.e2e-latency.tokens.p50',
        value: round(p50.tokens, 2),
        unit: 'ms',
        baseline: { name: 'auth-cost.e2e-latency.none.p50', value: round(p50.none, 2) },
        params: { ...latencyParams, auth: 'tokens' },
      },
      {
        name: 'auth-cost.e2e-latency.cost-p50',
        value: round(p50.tokens - p50.none, 2),
        unit: 'ms',
        params: { ...latencyParams, of: 'p50 added by auth (jobs taken in turns)' },
      },
      ...cpuFigures(
        'e2e-latency',
        { tokens: medianUse(latencyUse.tokens), none: medianUse(latencyUse.none) },
        'ms per job',
      ),
    );
    return figures;
  },
};

/** CPU of master and workers with each auth mode, and what auth adds to it. */
function cpuFigures(what: string, cpu: Record<Auth, CpuUse>, unit: string): Figure[] {
  const name = `auth-cost.${what}.cpu`;
  return [
    { name: `${name}.none`, value: round(cpu.none.total, 3), unit, params: { masterOnly: round(cpu.none.master, 3) } },
    {
      name: `${name}.tokens`,
      value: round(cpu.tokens.total, 3),
      unit,
      baseline: { name: `${name}.none`, value: round(cpu.none.total, 3) },
      params: { masterOnly: round(cpu.tokens.master, 3) },
    },
    {
      name: `${name}.cost`,
      value: round(((cpu.tokens.total - cpu.none.total) / cpu.none.total) * 100, 1),
      unit: '%',
      target: '<= 5%',
      params: { of: 'CPU time of master and workers that auth adds (medians of rounds)' },
    },
  ];
}
