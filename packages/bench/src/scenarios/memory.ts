import type { JobSpecInput } from '@dist-exec/client';
import { rssBytes, startBenchCluster } from '../cluster.js';
import { round, type Figure, type Scenario } from '../scenario.js';

const JOBS = 1_000_000;
/** Jobs per SubmitJobs call: what `dist-exec run --array` sends (SUBMIT_CHUNK in the CLI). */
const CHUNK = 1000;
const MIB = 1024 * 1024;

/** The master's V8 heap in use, from its Prometheus metrics (prom-client's default nodejs_heap_size_used_bytes). */
async function heapUsedBytes(httpPort: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  const value = /^nodejs_heap_size_used_bytes (\S+)$/m.exec(text)?.[1];
  if (value === undefined) throw new Error("no nodejs_heap_size_used_bytes in the master's /metrics");
  return Number(value);
}

/** Master RSS with a million pending jobs (no workers, so every job stays queued), submitted as `run --array` does (ids-only answers). */
export const memory: Scenario = {
  name: 'memory',
  description: `master RSS with ${JOBS.toLocaleString('en')} pending jobs`,
  async run(context): Promise<Figure[]> {
    const figures: Figure[] = [];
    for (const store of context.stores) {
      const cluster = await startBenchCluster({ workers: 0, masterArgs: ['--store', store], env: context.childEnv });
      try {
        const pid = cluster.master.process.pid as number;
        const idle = await rssBytes(pid);
        const spec: JobSpecInput = { command: 'true' };
        const chunk = Array.from({ length: CHUNK }, () => spec);
        const started = Date.now();
        for (let at = 0; at < JOBS; at += CHUNK) await cluster.client.submitManyIds(chunk);
        const loaded = await rssBytes(pid);
        const heap = await heapUsedBytes(cluster.master.httpPort);
        const pending = (await cluster.client.listJobs({ states: ['PENDING'], pageSize: 1 })).totalCount;
        if (pending !== JOBS) throw new Error(`${pending} pending jobs after submitting ${JOBS}`);
        context.log(
          `${store}: submitted in ${((Date.now() - started) / 1000).toFixed(1)} s; RSS ${(idle / MIB).toFixed(0)} MiB idle, ${(loaded / MIB).toFixed(0)} MiB loaded (V8 heap in use ${(heap / MIB).toFixed(0)} MiB)`,
        );
        const params = { pendingJobs: JOBS, store };
        const idleFigure = { name: `memory.${store}.idle-rss`, value: round(idle / MIB, 0) };
        figures.push(
          { ...idleFigure, unit: 'MiB', params: { pendingJobs: 0, store } },
          {
            name: `memory.${store}.rss`,
            value: round(loaded / MIB, 0),
            unit: 'MiB',
            baseline: idleFigure,
            target: '<= 1024 MiB',
            params,
          },
          { name: `memory.${store}.heap-used`, value: round(heap / MIB, 0), unit: 'MiB', params },
          { name: `memory.${store}.per-job`, value: round((loaded - idle) / JOBS, 0), unit: 'bytes', params },
        );
      } finally {
        await cluster.stop();
      }
    }
    return figures;
  },
};
