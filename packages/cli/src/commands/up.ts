import { existsSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { DistExecClient } from '@dist-exec/client';
import { setTimeout as delay } from 'node:timers/promises';
import { errorMessage, formatBytes, InvalidArgumentError, parseInteger } from '@dist-exec/core';
import { CA_CERT_FILE, loadTlsFiles, parseHostSpecs, readTokenFile, writeTlsDir } from '@dist-exec/runtime';
import { addHelp } from '../help-text.js';
import { describeExit, LocalChild } from './up-children.js';
import { checkPortFree, freePort, lockDataDir } from './up-preflight.js';

interface UpFlags {
  workers?: string;
  port?: string;
  httpPort?: string;
  maxTasks?: string;
  store?: string;
  dataDir?: string;
  policy?: string;
  demo?: boolean;
  logLevel?: string;
  tls?: boolean;
  masters?: string;
  databaseUrl?: string;
}

/** The files of `up --tls`: a CA and one certificate for this machine (master, workers and the CLI all use it). */
interface LocalTls {
  ca: string;
  cert: string;
  key: string;
}

/** `<dataDir>/tls`, made by `tls init` when missing: mTLS between the master, the workers and the CLI. */
async function localTls(dataDir: string): Promise<LocalTls> {
  const dir = join(dataDir, 'tls');
  const report = await writeTlsDir(dir, parseHostSpecs('localhost+127.0.0.1+::1'));
  const host = report.hosts[0];
  if (!host) throw new Error('tls init made no certificate');
  return { ca: join(dir, CA_CERT_FILE), cert: host.certFile, key: host.keyFile };
}

function tlsArgs(tls: LocalTls | null): string[] {
  return tls ? ['--tls-cert', tls.cert, '--tls-key', tls.key, '--tls-ca', tls.ca, '--tls-client-ca', tls.ca] : [];
}

/** What each local worker offers: the machine's cores and memory split between them, not the whole machine each. */
export function workerShare(
  workers: number,
  cores: number,
  memoryBytes: number,
): { cpus: number; memoryBytes: number } {
  return {
    cpus: Math.max(0.01, Math.floor((cores / workers) * 100) / 100),
    memoryBytes: Math.floor(memoryBytes / workers),
  };
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

export function registerUp(program: Command): void {
  const command = program
    .command('up')
    .description('start a master and N workers on this machine; Ctrl-C stops them all')
    .option('--workers <n>', "how many workers; they share the machine's cores and memory (default: 3)")
    .option('--port <port>', 'master gRPC port; 0 picks a free one (default: 50051)')
    .option('--http-port <port>', 'master HTTP port; 0 picks a free one (default: 8080)')
    .option('--max-tasks <n>', 'tasks each worker runs at once (default: 4)')
    .option(
      '--store <kind>',
      'sqlite (durable, in --data-dir), postgres (at --database-url) or memory (default: sqlite)',
    )
    .option(
      '--masters <n>',
      'how many masters (more than one: --store postgres; they fail over by themselves) (default: 1)',
    )
    .option(
      '--database-url <url>',
      'the postgres store: postgres://user:password@host/db (prefer DIST_EXEC_DATABASE_URL: flags show in ps)',
    )
    .option(
      '--data-dir <dir>',
      'where the master keeps its store and tokens, and the workers their state (default: ./.dist-exec)',
    )
    .option('--policy <name>', 'placement policy (default: round-robin)')
    .option('--demo', 'run a few demo jobs once the cluster is up and show which worker ran each')
    .option('--tls', 'TLS and client certificates everywhere (made into <data-dir>/tls when missing); HTTPS dashboard')
    .option('--log-level <level>', 'log level of the master and workers (default: info)');
  addHelp(command, [
    'dist-exec up                                   # what npm start runs',
    'dist-exec up --workers 2 --port 50061 --http-port 8090 --data-dir /tmp/second-cluster',
  ]);
  command.action(async (flags: UpFlags) => {
    const workers = parseInteger(flags.workers ?? '3', '--workers', 1, 64);
    const port = parseInteger(flags.port ?? '50051', '--port', 0, 65535);
    const httpPortFlag = parseInteger(flags.httpPort ?? '8080', '--http-port', 0, 65535);
    const maxTasks = String(parseInteger(flags.maxTasks ?? '4', '--max-tasks', 1, 10_000));
    const store = flags.store ?? 'sqlite';
    if (store !== 'sqlite' && store !== 'memory' && store !== 'postgres')
      throw new InvalidArgumentError(`--store: "${store}" is not a store; use sqlite, postgres or memory`, {
        field: '--store',
      });
    const masterCount = parseInteger(flags.masters ?? '1', '--masters', 1, 9);
    if (masterCount > 1 && store !== 'postgres')
      throw new InvalidArgumentError('--masters: several masters share one PostgreSQL database; add --store postgres', {
        field: '--masters',
      });
    const databaseUrl = flags.databaseUrl ?? process.env.DIST_EXEC_DATABASE_URL ?? '';
    if (store === 'postgres' && !databaseUrl)
      throw new InvalidArgumentError(
        '--database-url: --store postgres needs a database (or set DIST_EXEC_DATABASE_URL)',
        {
          field: '--database-url',
        },
      );
    const logLevel = flags.logLevel ?? 'info';
    const masterProgram = programPath('master');
    const workerProgram = programPath('worker');

    // Before anything starts: a second `up` must not reach the first one's master, nor share its data dir.
    if (port) await checkPortFree('127.0.0.1', port, '--port');
    if (httpPortFlag) await checkPortFree('127.0.0.1', httpPortFlag, '--http-port');
    const dataDir = flags.dataDir ?? '.dist-exec';
    const unlock = lockDataDir(dataDir);
    process.on('exit', unlock);
    // The workers need the master's port before it listens: pick a free one for --port 0.
    const masterPort = port || (await freePort());
    // Likewise the HTTP port, so the dashboard link is known.
    const httpPort = httpPortFlag || (await freePort());
    const print = (name: string) => (line: string) => process.stdout.write(`${formatLogLine(name, line)}\n`);
    const notice = (line: string): void => void process.stdout.write(`dist-exec up: ${line}\n`);

    const workerChildren: LocalChild[] = [];
    const masters: LocalChild[] = [];
    let stopping = false;
    let stopped: Promise<never> | null = null;
    // Once, whoever asks first (Ctrl-C, the master's death, a start that failed).
    const stopAll = (code: number): Promise<never> =>
      (stopped ??= (async () => {
        stopping = true;
        process.stdout.write('\nstopping workers (they finish running jobs first), then the master…\n');
        await Promise.all(workerChildren.map((child) => child.stop('SIGTERM')));
        await Promise.all(masters.map((child) => child.stop('SIGTERM')));
        process.stdout.write('all stopped\n');
        process.exit(code);
      })());
    process.on('SIGINT', () => {
      if (stopping) {
        for (const child of [...workerChildren, ...masters]) child?.kill('SIGKILL');
        process.exit(130);
      }
      void stopAll(0);
    });
    process.on('SIGTERM', () => void stopAll(0));
    // However `up` ends, it takes its children with it.
    process.on('exit', () => {
      for (const child of [...workerChildren, ...masters]) child?.kill('SIGKILL');
    });

    const tls = flags.tls ? await localTls(dataDir) : null;
    const clientTls = tls ? loadTlsFiles({ ca: tls.ca, cert: tls.cert, key: tls.key }).client : null;
    // The master keeps its admin token there, and a worker token the workers read (never on a command line).
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
      store,
      '--data-dir',
      dataDir,
      '--log-level',
      logLevel,
      ...(flags.policy ? ['--policy', flags.policy] : []),
      ...tlsArgs(tls),
    ];
    // Every master keeps its token files in the one data dir: a client or worker that fails over presents the same token.
    // The database URL goes by the environment, never on a command line.
    const masterEnv = databaseUrl ? { DIST_EXEC_DATABASE_URL: databaseUrl } : {};
    const addresses: string[] = [];
    for (let i = 0; i < masterCount; i += 1) {
      const name = masterCount > 1 ? `master-${i + 1}` : 'master';
      const gRpcPort = i === 0 ? masterPort : await freePort();
      const args = [...masterArgs];
      args[args.indexOf('--port') + 1] = String(gRpcPort);
      if (i > 0) args[args.indexOf('--http-port') + 1] = '0';
      const child = new LocalChild(
        { name, program: masterProgram, args, env: masterEnv },
        print(name),
        notice,
        false,
        (exit) => {
          if (stopping) return;
          process.stderr.write(`dist-exec up: ${name} exited (${describeExit(exit)}); stopping\n`);
          void stopAll(1);
        },
      );
      masters.push(child);
      child.start();
      addresses.push(`127.0.0.1:${gRpcPort}`);
    }
    const masterAddress = addresses.join(',');
    // The ports were free a moment ago, so the masters that answer there are ours.
    const probe = new DistExecClient({ address: masterAddress, tls: clientTls });
    const ready = await Promise.race([
      probe.waitForReady(30_000).then(
        () => true,
        () => false,
      ),
      Promise.race(masters.map((child) => child.exited)).then(() => false),
    ]);
    probe.close();
    if (!ready) {
      if (!stopping) process.stderr.write('dist-exec up: the master did not answer within 30s; stopping\n');
      await stopAll(1);
    }
    // Written by the master (the one that leads) before it serves: a follower may answer first.
    for (const end = Date.now() + 30_000; !existsSync(adminTokenFile) && Date.now() < end;) await delay(100);
    const adminToken = readTokenFile(adminTokenFile, 'admin token file');
    const client = new DistExecClient({ address: masterAddress, token: adminToken, tls: clientTls });
    const share = workerShare(workers, availableParallelism(), totalmem());
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
        maxTasks,
        '--cpus',
        String(share.cpus),
        '--memory',
        String(share.memoryBytes),
        '--drain-timeout',
        '30s',
        '--log-level',
        logLevel,
        ...tlsArgs(tls),
      ];
      const child = new LocalChild(
        { name, program: workerProgram, args, env: { DIST_EXEC_TOKEN_FILE: workerTokenFile } },
        print(name),
        notice,
        true,
      );
      workerChildren.push(child);
      child.start();
    }
    const deadline = Date.now() + 30_000;
    while ((await client.listNodes().catch(() => [])).length < workers) {
      if (Date.now() > deadline) {
        process.stderr.write('dist-exec up: workers did not register within 30s; stopping\n');
        await stopAll(1);
      }
      await delay(100);
    }
    // Under `npm start` the CLI is this repository's (npx finds it); elsewhere it is on PATH.
    const cli = process.env.npm_lifecycle_event ? 'npx dist-exec' : 'dist-exec';
    // The CLI finds ./.dist-exec/admin.token by itself; elsewhere it must be told.
    const tokenHint = flags.dataDir
      ? [`  export DIST_EXEC_TOKEN_FILE=${resolve(adminTokenFile)} DIST_EXEC_MASTER=${masterAddress}`]
      : port !== 50051 || masterCount > 1
        ? [`  export DIST_EXEC_MASTER=${masterAddress}`]
        : [];
    if (tls)
      tokenHint.push(
        `  export DIST_EXEC_TLS_CA=${resolve(tls.ca)} DIST_EXEC_TLS_CERT=${resolve(tls.cert)} DIST_EXEC_TLS_KEY=${resolve(tls.key)}`,
      );
    process.stdout.write(
      [
        '',
        `dist-exec is up: ${masterCount > 1 ? `${masterCount} masters at ${masterAddress} (one leads; kill any)` : `master at ${masterAddress}`} (HTTP ${httpPort}), ${workers} workers (worker-1..worker-${workers}), each offering ${share.cpus} cpus and ${formatBytes(share.memoryBytes)}.`,
        // As Jupyter does: the link carries the token in its fragment, which the browser never sends to a server.
        `Dashboard: ${tls ? 'https' : 'http'}://127.0.0.1:${httpPort}/#token=${adminToken}${tls ? ` (the browser will not know the CA ${resolve(tls.ca)}: import it, or accept the warning once)` : ''}`,
        `Admin token: ${resolve(adminTokenFile)} (the CLI reads it from there; metrics: /metrics, API: /api/v1/jobs)`,
        'In another terminal:',
        ...tokenHint,
        `  ${cli} run 'echo hello from $DIST_EXEC_NODE_ID'`,
        `  ${cli} nodes`,
        `  ${cli} list`,
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
