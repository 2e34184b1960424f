import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { httpRequest, startNodeScript } from '@dist-exec/testing';
import { rssBytes, startBenchCluster } from '../cluster.js';
import { percentile, round, type Figure, type Scenario } from '../scenario.js';

/** Bodies sent at once, each an array nested a million deep: 2,000,000 bytes, under the 2 MiB body cap. */
const BODIES = 64;
const DEPTH = 1_000_000;
const IDLE_SAMPLES = 200;
const FLOODER = fileURLToPath(new URL('../json-flooder.js', import.meta.url));

/** One /healthz round trip, in ms; a failed one (the master dropped the connection) counts as its time, negated. */
async function healthz(port: number): Promise<number> {
  const start = performance.now();
  const ok = await httpRequest(`http://127.0.0.1:${port}/healthz`).then(
    (res) => res.status === 200,
    () => false,
  );
  const ms = performance.now() - start;
  return ok ? ms : -ms;
}

/**
 * One client floods the master's HTTP API with deeply nested JSON while
 * another asks /healthz over and over: how long the others wait (p99 of
 * /healthz beside the same figure with the master idle), how long the flood
 * takes to be refused, and what it costs the master in memory.
 */
export const jsonFlood: Scenario = {
  name: 'json-flood',
  description: `${BODIES} parallel POSTs of ${(2 * DEPTH).toLocaleString('en')}-byte nested JSON; /healthz p99 meanwhile`,
  async run(context) {
    const cluster = await startBenchCluster({ workers: 0, env: context.childEnv });
    try {
      const port = cluster.master.httpPort;
      const pid = cluster.master.process.pid as number;
      const idle: number[] = [];
      for (let i = 0; i < IDLE_SAMPLES; i += 1) idle.push(Math.abs(await healthz(port)));
      idle.sort((a, b) => a - b);
      const idleRss = await rssBytes(pid);

      let peakRss = idleRss;
      const sampler = setInterval(() => {
        rssBytes(pid).then(
          (rss) => (peakRss = Math.max(peakRss, rss)),
          () => {},
        );
      }, 50);
      // The flood comes from another process, so that its sending does not stall the one measuring.
      const flooder = startNodeScript('json-flooder', FLOODER, [
        String(port),
        String(BODIES),
        String(DEPTH),
        cluster.master.token,
      ]);
      const during: number[] = [];
      let failed = 0;
      while (flooder.process.exitCode === null || during.length < 20) {
        const ms = await healthz(port);
        if (ms < 0) failed += 1;
        during.push(Math.abs(ms));
      }
      await flooder.exited;
      clearInterval(sampler);
      const result = flooder.logs.find((line) => 'ms' in line) as { ms: number; statuses: number[] } | undefined;
      if (!result) throw new Error(`the flooder failed: ${JSON.stringify(flooder.logs)}`);
      const floodMs = result.ms;
      during.sort((a, b) => a - b);
      const statuses = result.statuses.join(',');
      context.log(
        `flood answered ${statuses} in ${round(floodMs)} ms; /healthz p99 ${round(percentile(during, 99))} ms during, ${round(percentile(idle, 99))} ms idle`,
      );
      const params = { bodies: BODIES, depth: DEPTH, samples: during.length, failed, statuses };
      return [
        {
          name: 'json-flood healthz p99',
          value: round(percentile(during, 99), 2),
          unit: 'ms',
          baseline: { name: 'idle', value: round(percentile(idle, 99), 2) },
          params,
        },
        { name: 'json-flood healthz max', value: round(during[during.length - 1] ?? NaN, 1), unit: 'ms', params },
        { name: 'json-flood refused in', value: round(floodMs), unit: 'ms', params },
        {
          name: 'json-flood master peak rss',
          value: round(peakRss / 2 ** 20),
          unit: 'MiB',
          baseline: { name: 'idle', value: round(idleRss / 2 ** 20) },
          params,
        },
      ] satisfies Figure[];
    } finally {
      await cluster.stop();
    }
  },
};
