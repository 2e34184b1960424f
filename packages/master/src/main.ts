#!/usr/bin/env node
import { Command, Option } from 'commander';
import {
  BUILTIN_TASK_TYPE_NAMES,
  errorMessage,
  parseBytes,
  parseDuration,
  parseInteger,
  parseRateLimit,
} from '@dist-exec/core';
import { createProcessLogger, LOG_FORMATS, type LogFormat } from '@dist-exec/runtime';
import {
  AUTH_MODES,
  DEFAULT_DATA_DIR,
  DEFAULT_HOST,
  DEFAULT_HTTP_PORT,
  DEFAULT_MASTER_PORT,
  STORE_KINDS,
  type AuthMode,
  type MasterOptions,
} from './config.js';
import { ClusteredMaster } from './ha/clustered-master.js';
import { Master } from './master.js';
import { POLICY_NAMES } from './placement/index.js';

const program = new Command('dist-exec-master')
  .description('The dist-exec master: accepts jobs over gRPC, queues them and places them on workers.')
  .addOption(
    new Option('--host <host>', 'interface to listen on (0.0.0.0: every interface)')
      .default(DEFAULT_HOST)
      .env('DIST_EXEC_HOST'),
  )
  .addOption(
    new Option('--port <port>', 'gRPC port (0 picks a free one)')
      .default(String(DEFAULT_MASTER_PORT))
      .env('DIST_EXEC_PORT'),
  )
  .addOption(
    new Option('--http-port <port>', 'HTTP port for metrics, health and the dashboard')
      .default(String(DEFAULT_HTTP_PORT))
      .env('DIST_EXEC_HTTP_PORT'),
  )
  .addOption(
    new Option(
      '--store <kind>',
      'where jobs are kept: sqlite (durable, in --data-dir), postgres (durable, at --database-url) or memory (gone at exit)',
    )
      .choices(STORE_KINDS)
      .default('sqlite')
      .env('DIST_EXEC_STORE'),
  )
  .addOption(
    new Option('--data-dir <dir>', 'directory of the sqlite store').default(DEFAULT_DATA_DIR).env('DIST_EXEC_DATA_DIR'),
  )
  .addOption(
    new Option('--min-free-space <size>', 'refuse to start with less free space than this on the data dir (sqlite)')
      .default('256Mi')
      .env('DIST_EXEC_MIN_FREE_SPACE'),
  )
  .addOption(
    new Option(
      '--database-url <url>',
      'database of the postgres store: postgres://user:password@host:5432/db (prefer the env var: flags show in ps)',
    ).env('DIST_EXEC_DATABASE_URL'),
  )
  .addOption(
    new Option(
      '--lease-ttl <duration>',
      'several masters on postgres: the leader lease lasts this long unrenewed (failover takes about this long)',
    )
      .default('10s')
      .env('DIST_EXEC_LEASE_TTL'),
  )
  .addOption(
    new Option('--lease-renew <duration>', 'how often the leader renews its lease (at most half the TTL)')
      .default('2s')
      .env('DIST_EXEC_LEASE_RENEW'),
  )
  .addOption(
    new Option(
      '--advertise-address <host:port>',
      'gRPC address clients and workers reach this master at, handed out by the other masters (default: host:port)',
    ).env('DIST_EXEC_ADVERTISE_ADDRESS'),
  )
  .option(
    '--history-retention <duration>',
    'finished jobs and their output are deleted this long after they end (0 = never)',
    '7d',
  )
  .option('--history-max-jobs <n>', 'most finished jobs kept; those that finished first go first (0 = no limit)', '0')
  .addOption(
    new Option('--policy <name>', `placement policy: ${POLICY_NAMES.join(', ')}`)
      .default('round-robin')
      .env('DIST_EXEC_POLICY'),
  )
  .option('--heartbeat-interval <duration>', 'interval workers heartbeat at', '5s')
  .option('--heartbeat-timeout <duration>', 'silence after which a node is UNHEALTHY (default: 3 heartbeat intervals)')
  .option('--node-lost-timeout <duration>', 'silence after which a node is LOST', '60s')
  .addOption(
    new Option('--reschedule-on <state>', "requeue a silent node's jobs when it is")
      .choices(['unhealthy', 'lost'])
      .default('unhealthy'),
  )
  .option('--max-queue <n>', 'most pending jobs; more submits are refused', '1000000')
  .option('--default-timeout <duration>', 'timeout of jobs that give none (0 = none)', '0')
  .option('--max-timeout <duration>', 'largest timeout a job may ask for', '7d')
  .option('--output-limit <size>', 'output kept per stream per attempt', '1Mi')
  .option('--kill-grace <duration>', 'SIGTERM to SIGKILL grace on timeout and cancel', '5s')
  .option('--dispatch-timeout <duration>', 'a worker must answer a dispatch within this long', '10s')
  .option('--task-types <types>', 'task types accepted besides those workers offer', BUILTIN_TASK_TYPE_NAMES.join(','))
  .option('--retry-backoff-base <duration>', 'delay scale of the first retry', '1s')
  .option('--retry-backoff-cap <duration>', 'largest delay between retries', '60s')
  .option(
    '--snapshot-interval <duration>',
    'log a cluster snapshot (jobs, queue, nodes, use) this often (0 = never)',
    '30s',
  )
  .addOption(
    new Option('--auth <mode>', 'tokens: every call needs a token; none: nobody is checked (a trusted lab only)')
      .choices(AUTH_MODES)
      .default('tokens')
      .env('DIST_EXEC_AUTH'),
  )
  .addOption(
    new Option(
      '--admin-token-file <file>',
      'file of the bootstrap admin token, made (mode 0600) when missing (default: <data-dir>/admin.token)',
    ).env('DIST_EXEC_ADMIN_TOKEN_FILE'),
  )
  .addOption(
    new Option(
      '--worker-token-file <file>',
      'also keep a worker token (named "workers") in this file, made when missing: workers read it',
    ).env('DIST_EXEC_WORKER_TOKEN_FILE'),
  )
  .addOption(
    new Option(
      '--tls-cert <file>',
      'serve gRPC and HTTPS with this certificate (PEM), also shown to workers as a client',
    ).env('DIST_EXEC_TLS_CERT'),
  )
  .addOption(new Option('--tls-key <file>', 'private key of --tls-cert (PEM, mode 0600)').env('DIST_EXEC_TLS_KEY'))
  .addOption(
    new Option('--tls-ca <file>', "CA certificate(s) the workers' certificates must be signed by (PEM)").env(
      'DIST_EXEC_TLS_CA',
    ),
  )
  .addOption(
    new Option(
      '--tls-client-ca <file>',
      'require gRPC clients (workers, the CLI) to present a certificate signed by this CA (mTLS)',
    ).env('DIST_EXEC_TLS_CLIENT_CA'),
  )
  .option('--public-metrics', 'serve /metrics without a token')
  .addOption(
    new Option(
      '--rate-limit <rate>',
      "calls each submit or read token may make, e.g. 200/s or 600/m, or off (a token's own --rate-limit wins)",
    )
      .default('1000/s')
      .env('DIST_EXEC_RATE_LIMIT'),
  )
  .addOption(
    new Option('--rate-burst <n>', 'calls beyond the rate a token may make at once (default: twice the rate)').env(
      'DIST_EXEC_RATE_BURST',
    ),
  )
  .option(
    '--allow-command <regex>',
    'jobs may run only commands this matches whole (repeatable; default: any command)',
    collect,
    [],
  )
  .option('--deny-command <regex>', 'jobs may not run commands this matches anywhere (repeatable)', collect, [])
  .option(
    '--http-allowed-hosts <names>',
    'host names the HTTP port answers to besides addresses, localhost and this machine (comma-separated; .example.com for a domain, * for any)',
    '',
  )
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

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** --rate-limit with --rate-burst; the burst defaults to twice the rate's count. */
function rateLimitFrom(flags: Record<string, string | undefined>): MasterOptions['rateLimit'] {
  const rate = parseRateLimit(flags.rateLimit ?? '1000/s', flags.rateBurst);
  return flags.rateBurst === undefined && rate.count > 0 ? { ...rate, burst: rate.count * 2 } : rate;
}

function optionsFrom(flags: Record<string, string>): MasterOptions {
  const lists = flags as unknown as Record<string, string[]>;
  return {
    allowCommands: lists.allowCommand ?? [],
    denyCommands: lists.denyCommand ?? [],
    rateLimit: rateLimitFrom(flags),
    auth: flags.auth as AuthMode,
    ...(flags.adminTokenFile ? { adminTokenFile: flags.adminTokenFile } : {}),
    ...(flags.workerTokenFile ? { workerTokenFile: flags.workerTokenFile } : {}),
    publicMetrics: Boolean(flags.publicMetrics),
    tls: { cert: flags.tlsCert, key: flags.tlsKey, ca: flags.tlsCa, clientCa: flags.tlsClientCa },
    httpAllowedHosts: (flags.httpAllowedHosts ?? '')
      .split(',')
      .map((h) => h.trim())
      .filter(Boolean),
    host: flags.host,
    port: parseInteger(flags.port as string, '--port', 0, 65535),
    httpPort: parseInteger(flags.httpPort as string, '--http-port', 0, 65535),
    store: flags.store as MasterOptions['store'],
    dataDir: flags.dataDir,
    minFreeSpaceBytes: parseBytes(flags.minFreeSpace as string, '--min-free-space'),
    // From the environment it may be meant for another store kind; given as a flag, it must fit the store.
    databaseUrl:
      flags.store === 'postgres' || program.getOptionValueSource('databaseUrl') === 'cli' ? flags.databaseUrl : '',
    leaseTtlMs: parseDuration(flags.leaseTtl as string, '--lease-ttl'),
    leaseRenewMs: parseDuration(flags.leaseRenew as string, '--lease-renew'),
    ...(flags.advertiseAddress ? { advertiseAddress: flags.advertiseAddress } : {}),
    historyRetentionMs: parseDuration(flags.historyRetention as string, '--history-retention'),
    historyMaxJobs: parseInteger(flags.historyMaxJobs as string, '--history-max-jobs', 0, Number.MAX_SAFE_INTEGER),
    snapshotIntervalMs: parseDuration(flags.snapshotInterval as string, '--snapshot-interval'),
    policy: flags.policy,
    heartbeatIntervalMs: parseDuration(flags.heartbeatInterval as string, '--heartbeat-interval'),
    ...(flags.heartbeatTimeout
      ? { heartbeatTimeoutMs: parseDuration(flags.heartbeatTimeout, '--heartbeat-timeout') }
      : {}),
    nodeLostTimeoutMs: parseDuration(flags.nodeLostTimeout as string, '--node-lost-timeout'),
    rescheduleOn: flags.rescheduleOn as 'unhealthy' | 'lost',
    maxQueue: parseInteger(flags.maxQueue as string, '--max-queue', 1, 100_000_000),
    defaultTimeoutMs: parseDuration(flags.defaultTimeout as string, '--default-timeout'),
    maxTimeoutMs: parseDuration(flags.maxTimeout as string, '--max-timeout'),
    outputLimitBytes: parseBytes(flags.outputLimit as string, '--output-limit'),
    killGraceMs: parseDuration(flags.killGrace as string, '--kill-grace'),
    dispatchTimeoutMs: parseDuration(flags.dispatchTimeout as string, '--dispatch-timeout'),
    taskTypes: (flags.taskTypes as string)
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean),
    retryBackoffBaseMs: parseDuration(flags.retryBackoffBase as string, '--retry-backoff-base'),
    retryBackoffCapMs: parseDuration(flags.retryBackoffCap as string, '--retry-backoff-cap'),
  };
}

async function main(): Promise<void> {
  program.parse();
  const flags = program.opts<Record<string, string>>();
  let master: Master | ClusteredMaster;
  const logger = createProcessLogger({
    service: 'master',
    level: flags.logLevel ?? 'info',
    format: flags.logFormat as LogFormat,
    tty: process.stdout.isTTY,
  });
  try {
    const options = optionsFrom(flags);
    // On PostgreSQL a master leads by lease, so any number of them may share the database.
    master = options.store === 'postgres' ? new ClusteredMaster(options, { logger }) : new Master(options, { logger });
  } catch (error) {
    process.stderr.write(`dist-exec-master: ${errorMessage(error)}\n`);
    process.exit(2);
  }
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals += 1;
    if (signals > 1) {
      logger.warn({ signal }, 'second signal; exiting now');
      process.exit(1);
    }
    logger.info({ signal }, 'shutting down');
    master.stop().then(
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
    await master.start();
  } catch (error) {
    process.stderr.write(`dist-exec-master: could not start: ${errorMessage(error)}\n`);
    process.exit(1);
  }
}

void main();
