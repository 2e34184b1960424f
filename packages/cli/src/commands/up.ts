import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { DistExecClient } from '@dist-exec/client';
import { setTimeout as delay } from 'node:timers/promises';
import { errorMessage, InvalidArgumentError, parseInteger } from '@dist-exec/core';
import { readTokenFile } from '@dist-exec/runtime';

interface UpFlags {
  workers: string;
  port: string;
  httpPort: string;
  maxTasks: string;
  store: string;
  dataDir?: string;
  policy: string;
  demo?: boolean;
  logLevel: string;
  masters: string;
  databaseUrl?: string;
}

interface Child {
  name: string;
  process: ChildProcess;
  exited: Promise<number | null>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** The master and worker programs of this installation (sibling packages). */
function programPath(name: 'master' | 'worker'): string {
  const path = fileURLToPath(new URL(`../../../${name}/dist/main.js`, import.meta.url));
  if (!existsSync(path))
    throw new Error(`cannot find the ${name} program at ${path}; run npm install (or npm run build) first`);
  return path;
}

const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info ', 40: 'WARN ', 50: 'ERROR', 60: 'FATAL' };
const QUIET_FIELDS = new Set(['level', 'time', 'pid', 'hostname', 'service', 'msg', 'component', 'v']);

/** A pino JSON line as one short human line. */
export function formatLogLine(name: string, line: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return `[${name}] ${line}`;
  }
  const time = typeof entry.time === 'number' ? new Date(entry.time).toISOString().slice(11, 19) : '';
  const fields = Object.entries(entry)
    .filter(([k, v]) => !QUIET_FIELDS.has(k) && v !== undefined && typeof v !== 'object')
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');
  const err =
    entry.err && typeof entry.err === 'object' ? ` error=${String((entry.err as { message?: unknown }).message)}` : '';
  return `${time} ${(LEVELS[entry.level as number] ?? 'info ').trim().padEnd(5)} [${name}] ${String(entry.msg ?? '')}${fields ? `  ${fields}` : ''}${err}`;
}

function start(
  name: string,
  program: string,
  args: string[],
  onLine: (line: string) => void,
  env: NodeJS.ProcessEnv = {},
): Child {
  // Its own process group: a Ctrl-C in the terminal reaches only `up`, which stops the children in order.
  const child = spawn(process.execPath, [program, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    env: { ...process.env, ...env },
  });
  for (const stream of [child.stdout, child.stderr]) {
    if (stream) createInterface({ input: stream }).on('line', onLine);
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { name, process: child, exited };
}

export function registerUp(program: Command): void {
  program
    .command('up')
    .description('start a master and N workers on this machine; Ctrl-C stops them all')
    .option('--workers <n>', 'how many workers', '3')
    .option('--port <port>', 'master gRPC port', '50051')
    .option('--http-port <port>', 'master HTTP port', '8080')
    .option('--max-tasks <n>', 'tasks each worker runs at once', '4')
    .option('--store <kind>', 'sqlite (durable, in --data-dir), postgres (at --database-url) or memory', 'sqlite')
    .option('--masters <n>', 'how many masters (more than one: --store postgres; they fail over by themselves)', '1')
    .option(
      '--database-url <url>',
      'the postgres store: postgres://user:password@host/db (prefer DIST_EXEC_DATABASE_URL: flags show in ps)',
    )
    .option('--data-dir <dir>', 'where the sqlite store keeps its files (default: ./.dist-exec)')
    .option('--policy <name>', 'placement policy', 'round-robin')
    .option('--demo', 'run a few demo jobs once the cluster is up and show which worker ran each')
    .option('--log-level <level>', 'log level of the master and workers', 'info')
    .action(async (flags: UpFlags) => {
      const workers = parseInteger(flags.workers, '--workers', 1, 64);
      const masterCount = parseInteger(flags.masters, '--masters', 1, 9);
      if (masterCount > 1 && flags.store !== 'postgres')
        throw new InvalidArgumentError(
          '--masters: several masters share one PostgreSQL database; add --store postgres',
        );
      const databaseUrl = flags.databaseUrl ?? process.env.DIST_EXEC_DATABASE_URL ?? '';
      if (flags.store === 'postgres' && !databaseUrl)
        throw new InvalidArgumentError(
          '--database-url: --store postgres needs a database (or set DIST_EXEC_DATABASE_URL)',
        );
      const port = parseInteger(flags.port, '--port', 0, 65535);
      parseInteger(flags.maxTasks, '--max-tasks', 1, 10_000);
      const children: Child[] = [];
      // The workers need the master's port before it listens: pick a free one for --port 0.
      const masterPort = port || (await freePort());
      // Likewise the HTTP port, so the dashboard link is known.
      const httpPort = parseInteger(flags.httpPort, '--http-port', 0, 65535) || (await freePort());
      const print = (name: string) => (line: string) => process.stdout.write(`${formatLogLine(name, line)}\n`);

      let stopping = false;
      const stopAll = async (code: number): Promise<never> => {
        stopping = true;
        process.stdout.write('\nstopping workers (they finish running jobs first), then the master…\n');
        const workerChildren = children.filter((c) => !c.name.startsWith('master'));
        for (const child of workerChildren) child.process.kill('SIGTERM');
        await Promise.all(workerChildren.map((c) => c.exited));
        const masters = children.filter((c) => c.name.startsWith('master'));
        for (const master of masters) master.process.kill('SIGTERM');
        await Promise.all(masters.map((c) => c.exited));
        process.stdout.write('all stopped\n');
        process.exit(code);
      };
      process.on('SIGINT', () => {
        if (stopping) {
          for (const child of children) child.process.kill('SIGKILL');
          process.exit(130);
        }
        void stopAll(0);
      });
      process.on('SIGTERM', () => void stopAll(0));
      // However `up` ends, it takes its children with it.
      process.on('exit', () => {
        for (const child of children)
          if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
      });

      // The master keeps its admin token there, and a worker token the workers read (never on a command line).
      const dataDir = flags.dataDir ?? '.dist-exec';
      const adminTokenFile = join(dataDir, 'admin.token');
      const workerTokenFile = join(dataDir, 'worker.token');
      const masterArgs = [
        '--worker-token-file',
        workerTokenFile,
        '--host',
        '127.0.0.1',
        '--port',
        String(masterPort),
        '--http-port',
        String(httpPort),
        '--store',
        flags.store,
        '--policy',
        flags.policy,
        '--log-level',
        flags.logLevel,
      ];
      // Every master keeps its token files in the one data dir: a client or worker that fails over presents the same token.
      masterArgs.push('--data-dir', dataDir);
      // The database URL goes by the environment, never on a command line.
      const masterEnv = databaseUrl ? { DIST_EXEC_DATABASE_URL: databaseUrl } : {};
      const addresses: string[] = [];
      for (let i = 0; i < masterCount; i += 1) {
        const name = masterCount > 1 ? `master-${i + 1}` : 'master';
        const gRpcPort = i === 0 ? masterPort : await freePort();
        const args = [...masterArgs];
        args[args.indexOf('--port') + 1] = String(gRpcPort);
        if (i > 0) args[args.indexOf('--http-port') + 1] = '0';
        const master = start(name, programPath('master'), args, print(name), masterEnv);
        children.push(master);
        addresses.push(`127.0.0.1:${gRpcPort}`);
        void master.exited.then((code) => {
          if (stopping) return;
          process.stderr.write(`${name} exited (code ${code}); stopping\n`);
          void stopAll(1);
        });
      }
      const masterAddress = addresses.join(',');
      const masterExited = Promise.race(children.map((c) => c.exited));
      // Written by the master that leads, before it serves.
      const tokenWritten = async (): Promise<boolean> => {
        for (const end = Date.now() + 60_000; Date.now() < end; await delay(100))
          if (existsSync(adminTokenFile)) return true;
        return false;
      };
      const ready = await Promise.race([tokenWritten(), masterExited.then(() => false)]);
      if (!ready) return;
      const probe = new DistExecClient({ address: masterAddress });
      await probe.waitForReady(30_000).catch(() => undefined);
      probe.close();
      const adminToken = readTokenFile(adminTokenFile, 'admin token file');
      const client = new DistExecClient({ address: masterAddress, token: adminToken });
      for (let i = 1; i <= workers; i += 1) {
        const name = `worker-${i}`;
        const args = [
          '--master',
          masterAddress,
          '--host',
          '127.0.0.1',
          '--port',
          '0',
          '--id',
          name,
          '--state-dir',
          join(dataDir, 'workers', name),
          '--max-tasks',
          flags.maxTasks,
          '--drain-timeout',
          '30s',
          '--log-level',
          flags.logLevel,
        ];
        children.push(start(name, programPath('worker'), args, print(name), { DIST_EXEC_TOKEN_FILE: workerTokenFile }));
      }
      const deadline = Date.now() + 30_000;
      while ((await client.listNodes().catch(() => [])).length < workers) {
        if (Date.now() > deadline) {
          process.stderr.write('workers did not register within 30s; stopping\n');
          await stopAll(1);
        }
        await delay(100);
      }
      // The CLI finds ./.dist-exec/admin.token by itself; elsewhere it must be told.
      const tokenHint = flags.dataDir
        ? [`  export DIST_EXEC_TOKEN_FILE=${resolve(adminTokenFile)} DIST_EXEC_MASTER=${masterAddress}`]
        : masterCount > 1
          ? [`  export DIST_EXEC_MASTER=${masterAddress}`]
          : [];
      process.stdout.write(
        [
          '',
          `dist-exec is up: ${masterCount > 1 ? `${masterCount} masters at ${masterAddress} (one leads; kill any)` : `master at ${masterAddress}`} (HTTP ${httpPort}), ${workers} workers (worker-1..worker-${workers}).`,
          // As Jupyter does: the link carries the token in its fragment, which the browser never sends to a server.
          `Dashboard: http://127.0.0.1:${httpPort}/#token=${adminToken}`,
          `Admin token: ${resolve(adminTokenFile)} (the CLI reads it from there; metrics: /metrics, API: /api/v1/jobs)`,
          'In another terminal:',
          ...tokenHint,
          `  npx dist-exec run 'echo hello from $DIST_EXEC_NODE_ID'`,
          '  npx dist-exec nodes',
          '  npx dist-exec list',
          'Ctrl-C stops the cluster.',
          '',
        ].join('\n') + '\n',
      );
      if (flags.demo)
        await runDemo(client, workers * 2).catch((error: unknown) =>
          process.stderr.write(`demo failed: ${errorMessage(error)}\n`),
        );
    });
}

/** Runs a few jobs and shows which worker ran each: the quickest proof the cluster works. */
async function runDemo(client: DistExecClient, count: number): Promise<void> {
  process.stdout.write(`demo: running ${count} jobs…\n`);
  const jobs = await client.submitMany(
    Array.from({ length: count }, (_, i) => ({
      command: `echo "job ${i + 1} ran on $DIST_EXEC_NODE_ID ($(uname -n))"`,
      labels: { demo: 'true' },
    })),
  );
  for (const job of jobs) {
    await client.waitForJob(job.id);
    const done = await client.getJob(job.id, { output: true });
    process.stdout.write(
      `demo: ${done.state.padEnd(9)} ${Buffer.from(done.stdout ?? new Uint8Array())
        .toString()
        .trim()}\n`,
    );
  }
  process.stdout.write('demo: done\n\n');
}
