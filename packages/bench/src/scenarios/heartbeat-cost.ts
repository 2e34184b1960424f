import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { DistExecClient } from '@dist-exec/client';
import { startMasterProcess, until } from '@dist-exec/testing';
import { rssBytes } from '../cluster.js';
import { round, type Figure, type Scenario } from '../scenario.js';

const NODES = 1000;
const HEARTBEAT_INTERVAL_MS = 5000;
/** Six rounds of heartbeats from every node. */
const WINDOW_MS = 30_000;
const IDLE_WINDOW_MS = 10_000;
/** Linux reports process times in USER_HZ, which is 100 on every architecture. */
const TICKS_PER_SECOND = 100;

const SIMULATOR = fileURLToPath(new URL('../../../simulator/dist/main.js', import.meta.url));

/** User + system CPU time of the process so far, in ms (all its threads). */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which may itself contain spaces; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

/** Share of one core the process used over `ms` from now. */
async function coreShare(pid: number, ms: number): Promise<number> {
  const cpu0 = cpuMs(pid);
  const t0 = performance.now();
  await delay(ms);
  return (cpuMs(pid) - cpu0) / (performance.now() - t0);
}

/**
 * The master runs in its own process with default timings; 1,000 simulated
 * nodes run in a simulator process (each its own connection, heartbeats
 * spread over the interval). Once every node has registered and a full
 * interval has passed, only heartbeats (and connection keepalives) reach the
 * master: its CPU time over a window, from /proc, is what they cost.
 */
export const heartbeatCost: Scenario = {
  name: 'heartbeat-cost',
  description: `master CPU while ${NODES} simulated nodes in another process heartbeat every ${HEARTBEAT_INTERVAL_MS / 1000}s (${WINDOW_MS / 1000}s window)`,
  async run(context): Promise<Figure[]> {
    // Heartbeats write nothing to the store; the first store asked for (the default, sqlite) is what users run.
    const store = context.stores[0] ?? 'sqlite';
    const master = await startMasterProcess(['--store', store, '--heartbeat-interval', `${HEARTBEAT_INTERVAL_MS}ms`], context.childEnv);
    const pid = master.process.pid as number;
    const client = new DistExecClient({ address: master.address });
    let simulator: ChildProcess | null = null;
    try {
      await delay(1000);
      const idle = await coreShare(pid, IDLE_WINDOW_MS);
      context.log(`idle master: ${round(idle * 100, 2)}% of one core`);

      simulator = spawn(
        process.execPath,
        [SIMULATOR, '--master', master.address, '--nodes', String(NODES), '--jobs', '0', '--heartbeat-interval', `${HEARTBEAT_INTERVAL_MS}ms`, '--snapshot-interval', '0'],
        { stdio: ['ignore', 'ignore', 'inherit'] },
      );
      const exited = new Promise<number | null>((resolve) => simulator?.once('exit', (code) => resolve(code)));
      const began = performance.now();
      await until(
        async () => {
          const nodes = await client.listNodes();
          return nodes.length >= NODES && nodes.every((n) => n.state === 'HEALTHY');
        },
        { timeoutMs: 120_000, intervalMs: 500, message: `${NODES} simulated nodes to register` },
      );
      context.log(`${NODES} nodes registered in ${Math.round(performance.now() - began)} ms`);
      // Registrations are spread over one interval: after one more only heartbeats flow, and after
      // another the master's code for them is warm (the JIT), as on a master that has run for a while.
      await delay(2 * HEARTBEAT_INTERVAL_MS);

      const share = await coreShare(pid, WINDOW_MS);
      const rss = await rssBytes(pid);
      const nodes = await client.listNodes();
      const now = Date.now();
      // Every node must still be heartbeating, or the window measured less than it claims.
      const beating = nodes.filter((n) => n.state === 'HEALTHY' && now - n.lastHeartbeatMs < 2 * HEARTBEAT_INTERVAL_MS).length;
      if (beating < NODES) throw new Error(`only ${beating} of ${NODES} nodes heartbeated during the window`);
      const simulatorCode = await Promise.race([exited, Promise.resolve('running')]);
      if (simulatorCode !== 'running') throw new Error(`the simulator exited early (code ${String(simulatorCode)})`);
      const heartbeats = (NODES * WINDOW_MS) / HEARTBEAT_INTERVAL_MS;
      // What each heartbeat adds over the idle master (keepalives of the connections included).
      const perHeartbeatUs = (Math.max(0, share - idle) * WINDOW_MS * 1000) / heartbeats;
      context.log(`master: ${round(share * 100, 2)}% of one core with ${NODES} nodes; ${round(perHeartbeatUs, 0)} µs CPU per heartbeat above idle`);
      const params = { store, nodes: NODES, heartbeat: `${HEARTBEAT_INTERVAL_MS / 1000}s`, window: `${WINDOW_MS / 1000}s` };
      return [
        { name: 'heartbeat-cost.master-cpu', value: round(share * 100, 2), unit: '% of one core', target: '< 5% of one core', params },
        { name: 'heartbeat-cost.per-heartbeat', value: round(perHeartbeatUs, 0), unit: 'µs CPU above idle', params },
        { name: 'heartbeat-cost.idle-master-cpu', value: round(idle * 100, 2), unit: '% of one core', params: { nodes: 0, window: `${IDLE_WINDOW_MS / 1000}s` } },
        { name: 'heartbeat-cost.master-rss', value: round(rss / 2 ** 20, 0), unit: 'MiB', params },
      ];
    } finally {
      client.close();
      if (simulator && simulator.exitCode === null) {
        const gone = new Promise((resolve) => simulator?.once('exit', resolve));
        simulator.kill('SIGTERM');
        await gone;
      }
      master.kill();
      await master.exited;
    }
  },
};
