import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { DistExecClient } from '@dist-exec/client';
import { startMasterProcess, startNodeScript, until } from '@dist-exec/testing';
import { processCpuMs, rssBytes } from '../cluster.js';
import { ECHO_SERVICE } from '../echo-service.js';
import { percentile, round, type Figure, type Scenario } from '../scenario.js';

const NODES = 1000;
const HEARTBEAT_INTERVAL_MS = 5000;
/** Two rounds of heartbeats from every node per window; the median of three windows is reported. */
const WINDOW_MS = 10_000;
const WINDOWS = 3;
const IDLE_WINDOW_MS = 5000;

const SIMULATOR = fileURLToPath(new URL('../../../simulator/dist/main.js', import.meta.url));
const ECHO_SERVER = fileURLToPath(new URL('../echo-server.js', import.meta.url));

/** How the nodes' agents connect: their own connection each, with the keepalive a worker's agent uses. */
const NODE_CHANNEL: grpc.ChannelOptions = {
  'grpc.use_local_subchannel_pool': 1,
  'grpc.keepalive_time_ms': 60_000,
  'grpc.keepalive_timeout_ms': 10_000,
  'grpc.keepalive_permit_without_calls': 1,
};

/** Share of one core the process used over `ms` from now. */
async function coreShare(pid: number, ms: number): Promise<number> {
  const cpu0 = processCpuMs(pid);
  const t0 = performance.now();
  await delay(ms);
  return (processCpuMs(pid) - cpu0) / (performance.now() - t0);
}

/** Other processes on a shared machine inflate CPU time now and then; the median of a few windows resists that. */
async function medianShare(pid: number, log: (message: string) => void, what: string): Promise<number> {
  const shares: number[] = [];
  for (let i = 0; i < WINDOWS; i += 1) shares.push(await coreShare(pid, WINDOW_MS));
  log(`${what}: ${shares.map((x) => `${round(x * 100, 2)}%`).join(', ')} of one core per ${WINDOW_MS / 1000}s window`);
  return percentile(
    [...shares].sort((a, b) => a - b),
    50,
  );
}

type PingClient = grpc.Client & {
  Ping(request: Buffer, callback: (error: grpc.ServiceError | null) => void): grpc.ClientUnaryCall;
};

/**
 * The floor: a bare grpc-js server (no proto, no work) in its own process,
 * called by NODES clients on their own connections once per interval each,
 * spread over the interval, exactly as the nodes heartbeat. What the master
 * spends above it is its own code.
 */
async function bareServerShare(log: (message: string) => void): Promise<number> {
  const server = startNodeScript('echo-server', ECHO_SERVER, []);
  const Client = grpc.makeGenericClientConstructor(ECHO_SERVICE, 'Echo');
  const clients: PingClient[] = [];
  const timers: NodeJS.Timeout[] = [];
  try {
    const { port } = await server.waitForLog('echo listening');
    const payload = Buffer.alloc(16, 1);
    for (let i = 0; i < NODES; i += 1) {
      const client = new Client(
        `127.0.0.1:${String(port)}`,
        grpc.credentials.createInsecure(),
        NODE_CHANNEL,
      ) as unknown as PingClient;
      clients.push(client);
      const ping = (): void => void client.Ping(payload, () => {});
      timers.push(
        setTimeout(() => {
          ping();
          timers.push(setInterval(ping, HEARTBEAT_INTERVAL_MS));
        }, Math.random() * HEARTBEAT_INTERVAL_MS),
      );
    }
    await delay(2 * HEARTBEAT_INTERVAL_MS);
    return await medianShare(server.process.pid as number, log, 'bare grpc-js server');
  } finally {
    for (const timer of timers) clearTimeout(timer);
    for (const client of clients) client.close();
    server.kill();
    await server.exited;
  }
}

/**
 * The master runs in its own process with default timings; 1,000 simulated
 * nodes run in a simulator process (each its own connection, heartbeats
 * spread over the interval). Once every node has registered and the code is
 * warm, only heartbeats (and connection keepalives) reach the master: its CPU
 * time from /proc over a few windows is what they cost. The baseline is a
 * bare grpc-js server answering the same calls.
 */
export const heartbeatCost: Scenario = {
  name: 'heartbeat-cost',
  description: `master CPU while ${NODES} simulated nodes in another process heartbeat every ${HEARTBEAT_INTERVAL_MS / 1000}s, and a bare grpc-js server under the same calls`,
  async run(context): Promise<Figure[]> {
    const floor = await bareServerShare(context.log);
    // Heartbeats write nothing to the store; the first store asked for (the default, sqlite) is what users run.
    const store = context.stores[0] ?? 'sqlite';
    const master = await startMasterProcess(
      ['--store', store, '--heartbeat-interval', `${HEARTBEAT_INTERVAL_MS}ms`],
      context.childEnv,
    );
    const pid = master.process.pid as number;
    const client = new DistExecClient({ address: master.address, token: master.token });
    let simulator: ChildProcess | null = null;
    try {
      await delay(1000);
      const idle = await coreShare(pid, IDLE_WINDOW_MS);
      context.log(`idle master: ${round(idle * 100, 2)}% of one core`);

      simulator = spawn(
        process.execPath,
        [
          SIMULATOR,
          '--master',
          master.address,
          '--nodes',
          String(NODES),
          '--jobs',
          '0',
          '--heartbeat-interval',
          `${HEARTBEAT_INTERVAL_MS}ms`,
          '--snapshot-interval',
          '0',
        ],
        // Its nodes register with the master's admin token (the simulator takes it from the environment).
        { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DIST_EXEC_TOKEN_FILE: master.tokenFile } },
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

      const share = await medianShare(pid, context.log, 'master');
      const rss = await rssBytes(pid);
      const nodes = await client.listNodes();
      const now = Date.now();
      // Every node must still be heartbeating, or the windows measured less than they claim.
      const beating = nodes.filter(
        (n) => n.state === 'HEALTHY' && now - n.lastHeartbeatMs < 2 * HEARTBEAT_INTERVAL_MS,
      ).length;
      if (beating < NODES) throw new Error(`only ${beating} of ${NODES} nodes heartbeated during the windows`);
      const simulatorCode = await Promise.race([exited, Promise.resolve('running')]);
      if (simulatorCode !== 'running') throw new Error(`the simulator exited early (code ${String(simulatorCode)})`);
      const heartbeatsPerSecond = NODES / (HEARTBEAT_INTERVAL_MS / 1000);
      // What each heartbeat adds over the idle master (keepalives of the connections included).
      const perHeartbeatUs = (Math.max(0, share - idle) * 1e6) / heartbeatsPerSecond;
      const params = {
        store,
        nodes: NODES,
        heartbeat: `${HEARTBEAT_INTERVAL_MS / 1000}s`,
        windows: `median of ${WINDOWS}x${WINDOW_MS / 1000}s`,
      };
      const baseline = { name: 'bare grpc-js server, same calls', value: round(floor * 100, 2) };
      return [
        {
          name: 'heartbeat-cost.master-cpu',
          value: round(share * 100, 2),
          unit: '% of one core',
          baseline,
          target: '< 5% of one core',
          params,
        },
        { name: 'heartbeat-cost.per-heartbeat', value: round(perHeartbeatUs, 0), unit: 'µs CPU above idle', params },
        {
          name: 'heartbeat-cost.idle-master-cpu',
          value: round(idle * 100, 2),
          unit: '% of one core',
          params: { store, nodes: 0, window: `${IDLE_WINDOW_MS / 1000}s` },
        },
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
