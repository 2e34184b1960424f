import { join } from 'node:path';
import { CA_CERT_FILE, parseHostSpecs, writeTlsDir } from '@dist-exec/runtime';
import { tempDir } from '@dist-exec/testing';
import { startBenchCluster, type BenchCluster, type BenchTls } from '../cluster.js';
import { round, type Figure, type Scenario } from '../scenario.js';
import { clusterCpu, cpuPer, median, medianUse, type CpuUse } from './auth-cost.js';
import { DISPATCH_PARAMS, dispatchRound, startDispatchCluster } from './dispatch-throughput.js';
import { timeRun } from './e2e-latency.js';

/** Rounds of dispatch-throughput per cluster, taken in turns. */
const ROUNDS = 5;
/** Latency jobs per cluster, in blocks (CPU is read per block), a job on one cluster then one on the other. */
const LATENCY_BLOCKS = 8;
const LATENCY_BLOCK = 50;
const LATENCY_WARMUP = 50;

type Transport = 'plain' | 'mtls';
const BOTH: readonly Transport[] = ['plain', 'mtls'];

/** A CA and a certificate for 127.0.0.1, as `dist-exec tls init` makes them. */
async function benchTls(): Promise<BenchTls> {
  const dir = join(tempDir('dist-exec-bench-tls-'), 'tls');
  const report = await writeTlsDir(dir, parseHostSpecs('localhost+127.0.0.1'));
  const host = report.hosts[0];
  if (!host) throw new Error('tls init made no certificate');
  return { ca: join(dir, CA_CERT_FILE), cert: host.certFile, key: host.keyFile };
}

const inTurns = (i: number): readonly Transport[] => (i % 2 ? ['mtls', 'plain'] : BOTH);

/**
 * What TLS costs: dispatch-throughput and e2e-latency on a cluster with
 * mTLS everywhere (client → master, workers → master, master → workers, each
 * side verifying the other's certificate; tokens checked too) beside the
 * same cluster in plaintext, both alive at once and measured in turns, as
 * auth-cost does. The memory store only: fsyncs would hide what TLS costs.
 */
export const tlsCost: Scenario = {
  name: 'tls-cost',
  description:
    'dispatch-throughput and e2e-latency with mTLS everywhere, beside plaintext (tokens on both; memory store)',
  async run(context): Promise<Figure[]> {
    const tls = await benchTls();
    const options = (transport: Transport): BenchTls | undefined => (transport === 'mtls' ? tls : undefined);
    const rates: Record<Transport, number[]> = { plain: [], mtls: [] };
    const dispatchUse: Record<Transport, CpuUse[]> = { plain: [], mtls: [] };
    const dispatch: Partial<Record<Transport, BenchCluster>> = {};
    try {
      for (const t of BOTH) dispatch[t] = await startDispatchCluster('memory', context.childEnv, 'tokens', options(t));
      for (let lap = 1; lap <= ROUNDS; lap += 1) {
        for (const t of inTurns(lap)) {
          const cluster = dispatch[t] as BenchCluster;
          const before = clusterCpu(cluster);
          const { rate } = await dispatchRound(cluster);
          const use = cpuPer(before, clusterCpu(cluster), DISPATCH_PARAMS.jobs, 1000);
          rates[t].push(rate);
          dispatchUse[t].push(use);
          context.log(
            `dispatch, ${t}: round ${lap}: ${Math.round(rate)} jobs/s, ${use.total.toFixed(1)} ms CPU per 1000 jobs`,
          );
        }
      }
    } finally {
      for (const t of BOTH) await dispatch[t]?.stop();
    }
    const on = median(rates.mtls);
    const off = median(rates.plain);
    const params = { ...DISPATCH_PARAMS, store: 'memory', auth: 'tokens' };
    const figures: Figure[] = [
      {
        name: 'tls-cost.dispatch-throughput.plain',
        value: round(off, 0),
        unit: 'jobs/s',
        params: { ...params, rounds: rates.plain.map(Math.round).join('/') },
      },
      {
        name: 'tls-cost.dispatch-throughput.mtls',
        value: round(on, 0),
        unit: 'jobs/s',
        baseline: { name: 'tls-cost.dispatch-throughput.plain', value: round(off, 0) },
        params: { ...params, rounds: rates.mtls.map(Math.round).join('/') },
      },
      {
        name: 'tls-cost.dispatch-throughput.cost',
        value: round(((off - on) / off) * 100, 1),
        unit: '%',
        target: '<= 15%',
        params: { of: 'throughput lost to mTLS (median of rounds taken in turns)' },
      },
      ...cpuFigures(
        'dispatch',
        { plain: medianUse(dispatchUse.plain), mtls: medianUse(dispatchUse.mtls) },
        'ms per 1000 jobs',
      ),
    ];

    const latencies: Record<Transport, number[]> = { plain: [], mtls: [] };
    const latencyUse: Record<Transport, CpuUse[]> = { plain: [], mtls: [] };
    const single: Partial<Record<Transport, BenchCluster>> = {};
    try {
      for (const t of BOTH) {
        const transport = options(t);
        single[t] = await startBenchCluster({
          workers: 1,
          masterArgs: ['--store', 'memory'],
          env: context.childEnv,
          ...(transport ? { tls: transport } : {}),
        });
      }
      const clusters = single as Record<Transport, BenchCluster>;
      const turns = async (count: number, record: boolean): Promise<void> => {
        for (let i = 0; i < count; i += 1) {
          for (const t of inTurns(i)) {
            const { elapsed } = await timeRun(clusters[t].client);
            if (record) latencies[t].push(elapsed);
          }
        }
      };
      await turns(LATENCY_WARMUP, false);
      for (let block = 0; block < LATENCY_BLOCKS; block += 1) {
        const before = { plain: clusterCpu(clusters.plain), mtls: clusterCpu(clusters.mtls) };
        await turns(LATENCY_BLOCK, true);
        for (const t of BOTH) latencyUse[t].push(cpuPer(before[t], clusterCpu(clusters[t]), LATENCY_BLOCK, 1));
      }
    } finally {
      for (const t of BOTH) await single[t]?.stop();
    }
    const p50 = { plain: median(latencies.plain), mtls: median(latencies.mtls) };
    const latencyParams = { jobs: LATENCY_BLOCKS * LATENCY_BLOCK, workers: 1, store: 'memory', auth: 'tokens' };
    context.log(`e2e-latency p50: mtls ${p50.mtls.toFixed(2)} ms, plain ${p50.plain.toFixed(2)} ms`);
    figures.push(
      { name: 'tls-cost.e2e-latency.plain.p50', value: round(p50.plain, 2), unit: 'ms', params: latencyParams },
      {
        name: 'tls-cost.e2e-latency.mtls.p50',
        value: round(p50.mtls, 2),
        unit: 'ms',
        baseline: { name: 'tls-cost.e2e-latency.plain.p50', value: round(p50.plain, 2) },
        params: latencyParams,
      },
      {
        name: 'tls-cost.e2e-latency.cost-p50',
        value: round(p50.mtls - p50.plain, 2),
        unit: 'ms',
        params: { ...latencyParams, of: 'p50 added by mTLS (jobs taken in turns)' },
      },
      ...cpuFigures(
        'e2e-latency',
        { plain: medianUse(latencyUse.plain), mtls: medianUse(latencyUse.mtls) },
        'ms per job',
      ),
    );
    return figures;
  },
};

/** CPU of master and workers in plaintext and with mTLS, and what mTLS adds to it. */
function cpuFigures(what: string, cpu: Record<Transport, CpuUse>, unit: string): Figure[] {
  const name = `tls-cost.${what}.cpu`;
  return [
    {
      name: `${name}.plain`,
      value: round(cpu.plain.total, 3),
      unit,
      params: { masterOnly: round(cpu.plain.master, 3) },
    },
    {
      name: `${name}.mtls`,
      value: round(cpu.mtls.total, 3),
      unit,
      baseline: { name: `${name}.plain`, value: round(cpu.plain.total, 3) },
      params: { masterOnly: round(cpu.mtls.master, 3) },
    },
    {
      name: `${name}.cost`,
      value: round(((cpu.mtls.total - cpu.plain.total) / cpu.plain.total) * 100, 1),
      unit: '%',
      params: { of: 'CPU time of master and workers that mTLS adds (medians of rounds)' },
    },
  ];
}
