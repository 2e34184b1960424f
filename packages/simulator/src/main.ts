#!/usr/bin/env node
import { Command, Option } from 'commander';
import { errorMessage, InvalidArgumentError, parseDuration, parseInteger } from '@dist-exec/core';
import { join } from 'node:path';
import { resolveToken } from '@dist-exec/runtime';
import { pino } from 'pino';
import { DEFAULT_JOBS, DEFAULT_NODES, MAX_JOBS, MAX_NODES, type SimulationOptions } from './config.js';
import { formatSnapshot, formatSummary, type Summary } from './report.js';
import { Simulation } from './simulation.js';

const program = new Command('dist-exec-simulate')
  .description(
    'Runs a master with many simulated nodes that speak the real gRPC protocol, "runs" jobs on them for a simulated time, ' +
      'crashes and restarts nodes at random, prints snapshots while the cluster converges and a summary at the end.',
  )
  .option('--nodes <n>', 'simulated nodes', String(DEFAULT_NODES))
  .option('--jobs <n>', 'jobs to run (0 = only run the nodes, until Ctrl-C or --duration)', String(DEFAULT_JOBS))
  .option('--job-duration <duration>', 'mean simulated run time of a job (each takes 0.5-1.5 times it)', '50ms')
  .option('--fail-rate <p>', 'chance that a live node crashes within any one second (0 to 1)', '0')
  .option('--down-time <duration>', 'mean time a crashed node stays down before it restarts (±50%)', '5s')
  .option('--heartbeat-interval <duration>', 'interval nodes heartbeat at', '5s')
  .option('--max-tasks <n>', 'tasks each node runs at once', '4')
  .option('--retries <n>', 'retries per job', '3')
  .option('--snapshot-interval <duration>', 'time between snapshots (0 = none)', '1s')
  .option('--master <host:port>', 'attach the nodes to this running master instead of starting one in this process')
  .option(
    '--token-file <file>',
    'with --master: a file holding an admin token (default: $DIST_EXEC_TOKEN, $DIST_EXEC_TOKEN_FILE, ./.dist-exec/admin.token)',
  )
  .option('--duration <duration>', 'stop after this long, converged or not (0 = when every job is terminal)', '0')
  .option('--json', 'print snapshots and the summary as JSON lines')
  .addOption(
    new Option('--log-level <level>', 'log level of the master and nodes (to stderr)')
      .choices(['silent', 'error', 'warn', 'info', 'debug'])
      .default('error'),
  );

interface Flags {
  nodes: string;
  jobs: string;
  jobDuration: string;
  failRate: string;
  downTime: string;
  heartbeatInterval: string;
  maxTasks: string;
  retries: string;
  snapshotInterval: string;
  master?: string;
  tokenFile?: string;
  duration: string;
  json?: boolean;
  logLevel: string;
}

function parseRate(text: string, field: string): number {
  if (!/^\s*\d+(\.\d+)?(e-?\d+)?\s*$/i.test(text))
    throw new InvalidArgumentError(`${field}: "${text}" is not a number; use 0 to 1, e.g. 0.01`, { field });
  return Number(text);
}

function optionsFrom(flags: Flags): SimulationOptions {
  return {
    nodes: parseInteger(flags.nodes, '--nodes', 1, MAX_NODES),
    jobs: parseInteger(flags.jobs, '--jobs', 0, MAX_JOBS),
    jobDurationMs: parseDuration(flags.jobDuration, '--job-duration'),
    failRate: parseRate(flags.failRate, '--fail-rate'),
    downTimeMs: parseDuration(flags.downTime, '--down-time'),
    heartbeatIntervalMs: parseDuration(flags.heartbeatInterval, '--heartbeat-interval'),
    maxTasks: parseInteger(flags.maxTasks, '--max-tasks', 1, 10_000),
    retries: parseInteger(flags.retries, '--retries', 0, 100),
    snapshotIntervalMs: parseDuration(flags.snapshotInterval, '--snapshot-interval'),
    masterAddress: flags.master ?? '',
    ...(flags.master ? { token: tokenFor(flags) } : {}),
    durationMs: parseDuration(flags.duration, '--duration'),
  };
}

/** A token for a master elsewhere: it must let the nodes register and the jobs be submitted (admin). */
function tokenFor(flags: Flags): string {
  const resolved = resolveToken({
    tokenFile: flags.tokenFile,
    envToken: process.env.DIST_EXEC_TOKEN,
    envTokenFile: process.env.DIST_EXEC_TOKEN_FILE,
    fallbackFiles: [join('.dist-exec', 'admin.token')],
  });
  return resolved?.token ?? '';
}

function exitCode(summary: Summary): number {
  if (summary.interrupted) return 130;
  if (summary.check.ok === false) return 1;
  return summary.jobs > 0 && summary.convergeMs === null ? 1 : 0;
}

async function main(): Promise<void> {
  program.parse();
  const flags = program.opts<Flags>();
  const out = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  let simulation: Simulation;
  try {
    simulation = new Simulation(optionsFrom(flags), {
      logger: pino({ level: flags.logLevel, base: { service: 'simulate' } }, pino.destination(2)),
      onSnapshot: (snapshot) =>
        out(flags.json ? JSON.stringify({ type: 'snapshot', ...snapshot }) : formatSnapshot(snapshot)),
      onMaster: ({ address, httpPort, adminTokenFile }) => {
        if (flags.json || flags.master) return;
        // Its /metrics and HTTP API can be watched while the simulation runs (with the admin token).
        out(
          `master at ${address}${httpPort ? `, HTTP at http://127.0.0.1:${httpPort}/` : ''}${adminTokenFile ? `, admin token in ${adminTokenFile}` : ''}`,
        );
      },
    });
  } catch (error) {
    process.stderr.write(`dist-exec-simulate: ${errorMessage(error)}\n`);
    process.exit(2);
  }
  const o = simulation.options;
  if (!flags.json) {
    out(
      `simulating ${o.nodes} nodes × ${o.maxTasks} tasks and ${o.jobs} jobs of ~${flags.jobDuration}` +
        `${o.failRate > 0 ? `, crashing each node with chance ${o.failRate}/s` : ''}` +
        ` (nodes start over one heartbeat interval, ${flags.heartbeatInterval}; Ctrl-C stops with a summary)`,
    );
  }
  const stop = new AbortController();
  const onSignal = (): void => {
    if (stop.signal.aborted) process.exit(130);
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const summary = await simulation.run(stop.signal);
    out(flags.json ? JSON.stringify({ type: 'summary', ...summary }) : formatSummary(summary));
    process.exit(exitCode(summary));
  } catch (error) {
    process.stderr.write(`dist-exec-simulate: ${errorMessage(error)}\n`);
    process.exit(1);
  }
}

void main();
