#!/usr/bin/env node
import { Command, Option } from 'commander';
import { errorMessage, parseBytes, parseDuration, parseInteger, parseKeyValues } from '@dist-exec/core';
import { createProcessLogger, LOG_FORMATS, resolveToken, type LogFormat } from '@dist-exec/runtime';
import {
  compileWorkerOptions,
  DEFAULT_MAX_TASKS,
  DEFAULT_WORKER_HOST,
  DEFAULT_WORKER_PORT,
  httpTargetPolicy,
  type WorkerOptions,
} from './config.js';
import { CommandExecutor, type CommandExecutorOptions, type SpawnMode } from './executors/command.js';
import { HttpExecutor } from './executors/http.js';
import {
  DEFAULT_CGROUP_PARENT,
  DEFAULT_MAX_JOB_PIDS,
  ISOLATION_MODES,
  type IsolationMode,
  type IsolationOptions,
} from './isolation/index.js';
import { Worker } from './worker.js';

const program = new Command('dist-exec-worker')
  .description('A dist-exec worker: registers with the master and runs the tasks it is given.')
  .addOption(
    new Option('--master <host:port>', 'master gRPC address; several masters: a:50051,b:50051,c:50051')
      .default('localhost:50051')
      .env('DIST_EXEC_MASTER'),
  )
  .addOption(
    new Option('--host <host>', 'interface to listen on (0.0.0.0: every interface)')
      .default(DEFAULT_WORKER_HOST)
      .env('DIST_EXEC_WORKER_HOST'),
  )
  .option('--token <token>', 'worker (or admin) token for the master; prefer --token-file or $DIST_EXEC_TOKEN_FILE')
  .option('--token-file <file>', 'file holding the token (mode 0600)')
  .addOption(
    new Option(
      '--auth <mode>',
      'tokens: serve only the master this worker registered with; none: anyone (a trusted lab only)',
    )
      .choices(['tokens', 'none'])
      .default('tokens')
      .env('DIST_EXEC_AUTH'),
  )
  .addOption(
    new Option('--tls-cert <file>', 'serve with this certificate (PEM), also shown to the master as a client').env(
      'DIST_EXEC_TLS_CERT',
    ),
  )
  .addOption(new Option('--tls-key <file>', 'private key of --tls-cert (PEM, mode 0600)').env('DIST_EXEC_TLS_KEY'))
  .addOption(
    new Option('--tls-ca <file>', "CA certificate(s) the master's certificate must be signed by (PEM)").env(
      'DIST_EXEC_TLS_CA',
    ),
  )
  .addOption(
    new Option('--tls-client-ca <file>', 'require the master to present a certificate signed by this CA (mTLS)').env(
      'DIST_EXEC_TLS_CLIENT_CA',
    ),
  )
  .addOption(
    new Option(
      '--state-dir <dir>',
      'what this worker keeps across restarts: its node secret, the record of its running jobs (default: .dist-exec/workers/<id>)',
    ).env('DIST_EXEC_STATE_DIR'),
  )
  .addOption(
    new Option('--port <port>', 'gRPC port (0 picks a free one)')
      .default(String(DEFAULT_WORKER_PORT))
      .env('DIST_EXEC_WORKER_PORT'),
  )
  .addOption(
    new Option(
      '--http-port <port>',
      'HTTP port of /healthz, /readyz and /metrics (0 picks a free one; default: no HTTP)',
    ).env('DIST_EXEC_WORKER_HTTP_PORT'),
  )
  .addOption(
    new Option(
      '--advertise-address <host:port>',
      'address the master dials (default: derived from --host and --port)',
    ).env('DIST_EXEC_ADVERTISE_ADDRESS'),
  )
  .addOption(new Option('--id <id>', 'node id (default: <hostname>-<port>)').env('DIST_EXEC_WORKER_ID'))
  .addOption(
    new Option('--max-tasks <n>', 'tasks run at once').default(String(DEFAULT_MAX_TASKS)).env('DIST_EXEC_MAX_TASKS'),
  )
  .addOption(new Option('--labels <k=v,...>', 'node labels jobs can require').default('').env('DIST_EXEC_LABELS'))
  .option('--cpus <n>', "cores offered to jobs (default: this machine's)")
  .option('--memory <size>', "memory offered to jobs, e.g. 8Gi (default: this machine's)")
  .option('--weight <n>', 'share for weighted placement', '1')
  .option('--heartbeat-interval <duration>', 'heartbeat interval (default: what the master asks for)')
  .option('--output-limit <size>', 'output kept per stream per task when the master gives none', '1Mi')
  .option('--kill-grace <duration>', 'SIGTERM to SIGKILL grace when the master gives none', '5s')
  .option(
    '--allow-command <regex>',
    'start only command jobs this matches whole (repeatable; default: any command)',
    collect,
    [],
  )
  .option('--deny-command <regex>', 'never start command jobs this matches anywhere (repeatable)', collect, [])
  .option(
    '--http-allow <target>',
    'http tasks may connect here: an address, CIDR block (optional :port) or host name (repeatable; lets in a default denial too)',
    collect,
    [],
  )
  .option(
    '--http-deny <target>',
    'http tasks may never connect here: an address or CIDR block, optional :port (repeatable; loopback, link-local and the master are denied already)',
    collect,
    [],
  )
  .option('--drain-timeout <duration>', 'on SIGTERM, wait this long for running tasks before killing them', '5m')
  .addOption(
    new Option(
      '--fence-after <duration>',
      'kill running tasks after this long without a successful heartbeat (at-most-once); 0 = keep them running',
    )
      .default('0')
      .env('DIST_EXEC_FENCE_AFTER'),
  )
  .addOption(
    new Option(
      '--spawn <mode>',
      'how jobs are started: native (a small C helper built at install, posix_spawn), perl (a small perl helper forks them), helper (native, else perl), direct (the worker forks them: the slowest), auto (helper where one is available, else direct)',
    )
      .choices(['auto', 'native', 'perl', 'helper', 'direct'])
      .default('auto')
      .env('DIST_EXEC_SPAWN'),
  )
  .addOption(
    new Option(
      '--isolation <mode>',
      'how jobs are confined: cgroup (a cgroup per job: memory, cpu and pids limits, OOM kills reported), rlimit (setrlimit/prlimit: address space; processes under --run-as), none, or auto (cgroup where the worker can create them, else rlimit)',
    )
      .choices(ISOLATION_MODES)
      .default('auto')
      .env('DIST_EXEC_ISOLATION'),
  )
  .option(
    '--max-job-pids <n>',
    "processes (and threads) a job may have at once (its cgroup's pids.max)",
    String(DEFAULT_MAX_JOB_PIDS),
  )
  .option(
    '--cgroup-parent <path>',
    "where this worker's cgroups go (<path>/<id>/<job>), from the root of each cgroup hierarchy",
    DEFAULT_CGROUP_PARENT,
  )
  .option('--run-as <user>', 'run every job as this user and its groups (the worker must run as root)')
  .option('--allowed-users <users>', 'users a job may ask to run as (--user), comma-separated')
  .option('--clean-env', "jobs start from PATH, HOME and LANG only, not from the worker's environment")
  .addOption(
    new Option('--log-level <level>', 'log level')
      .choices(['trace', 'debug', 'info', 'warn', 'error'])
      .default('info')
      .env('DIST_EXEC_LOG_LEVEL'),
  )
  .addOption(
    new Option('--log-format <format>', 'json lines, pretty lines, or auto: pretty on a terminal')
      .choices(LOG_FORMATS)
      .default('auto')
      .env('DIST_EXEC_LOG_FORMAT'),
  );

/** The token from --token, --token-file, $DIST_EXEC_TOKEN or $DIST_EXEC_TOKEN_FILE; required unless --auth none. */
function tokenFrom(flags: Record<string, string | undefined>): string {
  const resolved = resolveToken({
    token: flags.token,
    tokenFile: flags.tokenFile,
    envToken: process.env.DIST_EXEC_TOKEN,
    envTokenFile: process.env.DIST_EXEC_TOKEN_FILE,
  });
  if (resolved) return resolved.token;
  if (flags.auth === 'none') return '';
  throw new Error(
    'no token: a worker needs a worker (or admin) token; pass --token-file, or set DIST_EXEC_TOKEN_FILE or DIST_EXEC_TOKEN (make one with: dist-exec token create --role worker --name workers)',
  );
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function optionsFrom(flags: Record<string, string | undefined>): WorkerOptions {
  const lists = flags as unknown as Record<string, string[] | undefined>;
  const labels = flags.labels ? parseKeyValues(flags.labels.split(',').filter(Boolean), '--labels') : {};
  return {
    masterAddress: flags.master,
    token: tokenFrom(flags),
    auth: flags.auth === 'none' ? 'none' : 'tokens',
    tls: { cert: flags.tlsCert, key: flags.tlsKey, ca: flags.tlsCa, clientCa: flags.tlsClientCa },
    host: flags.host,
    port: parseInteger(flags.port as string, '--port', 0, 65535),
    ...(flags.httpPort ? { httpPort: parseInteger(flags.httpPort, '--http-port', 0, 65535) } : {}),
    ...(flags.advertiseAddress ? { advertiseAddress: flags.advertiseAddress } : {}),
    ...(flags.id ? { id: flags.id } : {}),
    ...(flags.stateDir ? { stateDir: flags.stateDir } : {}),
    maxTasks: parseInteger(flags.maxTasks as string, '--max-tasks', 1, 10_000),
    labels,
    ...(flags.cpus ? { cpus: Number.isFinite(Number(flags.cpus)) ? Number(flags.cpus) : NaN } : {}),
    ...(flags.memory ? { memoryBytes: parseBytes(flags.memory, '--memory') } : {}),
    weight: parseInteger(flags.weight as string, '--weight', 1, 1000),
    ...(flags.heartbeatInterval
      ? { heartbeatIntervalMs: parseDuration(flags.heartbeatInterval, '--heartbeat-interval') }
      : {}),
    outputLimitBytes: parseBytes(flags.outputLimit as string, '--output-limit'),
    killGraceMs: parseDuration(flags.killGrace as string, '--kill-grace'),
    drainTimeoutMs: parseDuration(flags.drainTimeout as string, '--drain-timeout'),
    fenceAfterMs: parseDuration(flags.fenceAfter as string, '--fence-after'),
    allowCommands: lists.allowCommand ?? [],
    denyCommands: lists.denyCommand ?? [],
    httpAllow: lists.httpAllow ?? [],
    httpDeny: lists.httpDeny ?? [],
  };
}

function isolationFrom(flags: Record<string, string | boolean | undefined>): IsolationOptions {
  const text = (value: string | boolean | undefined): string => (typeof value === 'string' ? value : '');
  return {
    mode: (text(flags.isolation) || 'auto') as IsolationMode,
    maxJobPids: parseInteger(text(flags.maxJobPids) || String(DEFAULT_MAX_JOB_PIDS), '--max-job-pids', 1, 4_194_304),
    ...(text(flags.cgroupParent) ? { cgroupParent: text(flags.cgroupParent) } : {}),
    ...(text(flags.runAs) ? { runAs: text(flags.runAs) } : {}),
    allowedUsers: text(flags.allowedUsers)
      .split(',')
      .map((u) => u.trim())
      .filter(Boolean),
  };
}

function spawnOptions(mode: string): Pick<CommandExecutorOptions, 'spawn' | 'helper'> {
  if (mode === 'native' || mode === 'perl') return { spawn: 'helper', helper: mode };
  return mode === 'auto' ? {} : { spawn: mode as SpawnMode };
}

async function main(): Promise<void> {
  program.parse();
  const flags = program.opts<Record<string, string | undefined>>();
  const logger = createProcessLogger({
    service: 'worker',
    level: flags.logLevel ?? 'info',
    format: flags.logFormat as LogFormat,
    tty: process.stdout.isTTY,
  });
  let worker: Worker;
  try {
    const spawn = spawnOptions(flags.spawn ?? 'auto');
    // Jobs start from the environment the worker was started with, without dist-exec's own settings and secrets.
    const options = optionsFrom(flags);
    const targets = httpTargetPolicy(compileWorkerOptions(options));
    const command = new CommandExecutor({
      baseEnv: process.env,
      cleanEnv: Boolean(flags.cleanEnv),
      isolation: isolationFrom(flags),
      ...spawn,
    });
    const executors = [command, new HttpExecutor({ targets })];
    worker = new Worker(options, { logger, executors });
  } catch (error) {
    process.stderr.write(`dist-exec-worker: ${errorMessage(error)}\n`);
    process.exit(2);
  }
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals += 1;
    if (signals > 1) {
      logger.warn({ signal }, 'second signal; killing running tasks and exiting');
      void worker.kill().finally(() => process.exit(1));
      return;
    }
    logger.info({ signal }, 'shutting down');
    worker.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await worker.start();
  } catch (error) {
    process.stderr.write(`dist-exec-worker: could not start: ${errorMessage(error)}\n`);
    process.exit(1);
  }
}

void main();
