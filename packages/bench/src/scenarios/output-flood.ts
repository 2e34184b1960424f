import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { rssBytes, startBenchCluster } from '../cluster.js';
import { round, type Figure, type Scenario } from '../scenario.js';

const BYTES = 2_000_000_000;
const MIB = 1024 * 1024;

/** The worker's spawner helper (its child running dist-exec-spawner or spawner.pl), if any. */
function spawnerOf(worker: number): number | null {
  try {
    const children = readFileSync(`/proc/${worker}/task/${worker}/children`, 'utf8').trim().split(' ');
    return Number(children.find((pid) => pid && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('spawner')));
  } catch {
    return null;
  }
}

/**
 * One job writes 2 GB to stdout (`head -c 2000000000 /dev/zero`) through a
 * worker and a master with the default output limit (1 MiB, head and tail
 * kept): the largest RSS of the master, the worker and its spawner while it
 * runs, against their RSS before it. Memory must not grow with the output.
 */
export const outputFlood: Scenario = {
  name: 'output-flood',
  description: `one job writing ${BYTES / 1e9} GB of output: peak RSS of master, worker and spawner`,
  async run(context): Promise<Figure[]> {
    const cluster = await startBenchCluster({ workers: 1, masterArgs: ['--store', 'memory'], env: context.childEnv });
    try {
      await cluster.client.waitForJob((await cluster.client.submit({ command: 'true' })).job.id);
      const pids: Record<string, number | null> = {
        master: cluster.master.process.pid ?? null,
        worker: cluster.workers[0]?.process.pid ?? null,
      };
      pids.spawner = pids.worker ? spawnerOf(pids.worker) : null;
      const sample = async (): Promise<Record<string, number>> => {
        const rss: Record<string, number> = {};
        for (const [name, pid] of Object.entries(pids)) if (pid) rss[name] = await rssBytes(pid).catch(() => 0);
        return rss;
      };
      const idle = await sample();
      const peak = { ...idle };
      const started = Date.now();
      const { job } = await cluster.client.submit({ command: `head -c ${BYTES} /dev/zero; echo FINAL-LINE` });
      for (;;) {
        for (const [name, rss] of Object.entries(await sample())) peak[name] = Math.max(peak[name] ?? 0, rss);
        const state = (await cluster.client.getJob(job.id)).state;
        if (state !== 'PENDING' && state !== 'RUNNING') break;
        await delay(100);
      }
      const done = await cluster.client.getJob(job.id, { output: true });
      const tail = Buffer.from(done.stdout ?? [])
        .toString('latin1')
        .slice(-11);
      if (done.state !== 'COMPLETED' || tail !== 'FINAL-LINE\n')
        throw new Error(`the flood ended ${done.state}, its output ending ${JSON.stringify(tail)}`);
      context.log(
        `${BYTES} bytes in ${((Date.now() - started) / 1000).toFixed(1)} s, ${done.stdoutDroppedBytes} dropped; ` +
          Object.keys(idle)
            .map((name) => `${name} ${round((idle[name] ?? 0) / MIB, 1)} -> ${round((peak[name] ?? 0) / MIB, 1)} MiB`)
            .join(', '),
      );
      return Object.keys(idle).map((name) => ({
        name: `output-flood.${name}.peak-rss`,
        value: round((peak[name] ?? 0) / MIB, 0),
        unit: 'MiB',
        baseline: { name: `output-flood.${name}.idle-rss`, value: round((idle[name] ?? 0) / MIB, 0) },
        params: { bytes: BYTES, outputLimit: '1Mi' },
      }));
    } finally {
      await cluster.stop();
    }
  },
};
