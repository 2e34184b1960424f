import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { execa, type Options } from 'execa';
import type { JobSpec } from '@dist-exec/core';
import { CommandExecutor, type ExecutorStart, type SpawnMode } from '@dist-exec/worker';
import { round, type Figure, type Scenario } from '../scenario.js';

const JOBS = 200;
const IN_FLIGHT = 8;
const ROUNDS = 7;
/** What the worker adds to every job's environment. */
const JOB_ENV = {
  DIST_EXEC_JOB_ID: '0190a4c2-7d3e-7a1b-9c2d-3e4f5a6b7c8d',
  DIST_EXEC_ATTEMPT: '1',
  DIST_EXEC_NODE_ID: 'bench',
};

type SpawnOnce = () => Promise<void>;

interface Variant {
  once: SpawnOnce;
  /** A helper process that spawns for this one: its CPU counts too. */
  helperPid?: () => number | null;
  /** Before the first round; resolves false when the variant cannot run here (it is left out, and says why). */
  setup?: (log: (message: string) => void) => Promise<boolean>;
  /** The figure this one is compared with, when not bare.ignore. */
  baseline?: string;
  target?: string;
}

function killGroup(pid: number | undefined): void {
  try {
    if (pid) process.kill(-pid, 'SIGKILL');
  } catch {
    // the group is gone already
  }
}

/** child_process.spawn with what a worker needs: pipes read, own process group, per-job env, group killed at exit. */
function bare(options: { pipes: boolean; group: boolean; env: boolean }): SpawnOnce {
  return () =>
    new Promise((resolve, reject) => {
      const child = spawn('/bin/sh', ['-c', 'true'], {
        stdio: options.pipes ? ['ignore', 'pipe', 'pipe'] : 'ignore',
        detached: options.group,
        ...(options.env ? { env: { ...process.env, ...JOB_ENV } } : {}),
      });
      child.once('error', reject);
      child.stdout?.on('data', () => {});
      child.stderr?.on('data', () => {});
      if (options.group) child.once('exit', () => killGroup(child.pid));
      child.once(options.pipes ? 'close' : 'exit', () => resolve());
    });
}

/** The options the worker's command executor passed to execa until it spawned directly (phase 2). */
const WORKER_OPTIONS: Options = {
  env: JOB_ENV,
  stdin: 'ignore',
  detached: true,
  buffer: false,
  reject: false,
  encoding: 'buffer',
  stripFinalNewline: false,
};

function viaExeca(options: Options, worker: boolean): SpawnOnce {
  return async () => {
    const subprocess = execa('/bin/sh', ['-c', 'true'], options);
    if (worker) {
      subprocess.stdout?.on('data', () => {});
      subprocess.stderr?.on('data', () => {});
      subprocess.once('exit', () => killGroup(subprocess.pid));
    }
    await subprocess;
  };
}

/**
 * The worker's own command executor, called as the runner calls it: an
 * AbortController and a context per job, the job's env with the worker's
 * variables, output passed to a callback. With `cgroup`, each job in a cgroup
 * of its own with a memory limit (as a job with --memory 64Mi gets it).
 */
function viaCommandExecutor(mode: SpawnMode, isolation: 'none' | 'cgroup' = 'none'): Variant {
  const executor = new CommandExecutor({ spawn: mode, isolation: { mode: isolation } });
  let jobs = 0;
  const spec: JobSpec = {
    type: 'command',
    command: 'true',
    argv: [],
    env: JOB_ENV,
    cwd: '',
    stdin: new Uint8Array(),
    priority: 0,
    timeoutMs: 0,
    labels: {},
    constraints: {},
    cpu: 0,
    memoryBytes: isolation === 'cgroup' ? 64 * 1024 * 1024 : 0,
    maxRetries: 0,
    retryOnFailure: false,
    idempotencyKey: '',
    http: null,
    memoryLimitBytes: 0,
    user: '',
  };
  const once = async (): Promise<void> => {
    const abort = new AbortController();
    jobs += 1;
    const outcome = await executor.run({
      attempt: { jobId: JOB_ENV.DIST_EXEC_JOB_ID, attempt: jobs },
      spec,
      signal: abort.signal,
      killGraceMs: 5000,
      onStarted: () => {},
      onOutput: () => {},
    });
    if (!outcome.succeeded) throw new Error(`the command executor failed: ${outcome.error}`);
  };
  const setup = async (log: (message: string) => void): Promise<boolean> => {
    const stateDir = mkdtempSync(join(tmpdir(), 'bench-spawn-state-'));
    await executor.start({ nodeId: `bench-spawn-${process.pid}`, stateDir, logger: quietLogger(log) });
    if (executor.isolation === isolation) return true;
    log(`command-executor.${isolation}: left out, the worker would use ${executor.isolation} here (cgroups need root)`);
    return false;
  };
  const variant: Variant = mode === 'helper' ? { once, setup, helperPid: () => executor.helperPid } : { once, setup };
  return isolation === 'cgroup'
    ? { ...variant, baseline: 'command-executor', target: 'rate >= 0.85x isolation off' }
    : variant;
}

/** The executor's logger: what it says at warn and above goes to the benchmark's log. */
function quietLogger(log: (message: string) => void): ExecutorStart['logger'] {
  const logger = {
    child: () => logger,
    isLevelEnabled: () => false,
    debug: () => {},
    info: () => {},
    warn: (fields: unknown, message?: string) => log(`${message ?? ''} ${JSON.stringify(fields)}`),
    error: (fields: unknown, message?: string) => log(`${message ?? ''} ${JSON.stringify(fields)}`),
  };
  return logger as unknown as ExecutorStart['logger'];
}

const VARIANTS: Record<string, Variant> = {
  'bare.ignore': { once: bare({ pipes: false, group: false, env: false }) },
  'bare.pipes': { once: bare({ pipes: true, group: false, env: false }) },
  'bare.worker-like': { once: bare({ pipes: true, group: true, env: true }) },
  'execa.default': { once: viaExeca({}, false) },
  'execa.worker': { once: viaExeca(WORKER_OPTIONS, true) },
  'command-executor.direct': viaCommandExecutor('direct'),
  'command-executor': viaCommandExecutor('helper'),
  'command-executor.cgroup': viaCommandExecutor('helper', 'cgroup'),
};

/** CPU time of a process so far in µs (user + system), from /proc: ns precision where schedstat exists. */
function processCpuUs(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1000;
  } catch {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  }
}

interface Sample {
  /** Spawns per second (wall clock). */
  rate: number;
  /** CPU time per spawn, user + system, in µs, of this process and its spawner helper if any: the spawner's own cost, which load elsewhere barely moves. */
  cpuUs: number;
  /** The same, of this process alone. */
  ownCpuUs: number;
}

async function measure(variant: Variant, jobs: number): Promise<Sample> {
  let next = 0;
  const cpu = process.cpuUsage();
  const helper = variant.helperPid?.() ?? null;
  const helperCpu = helper ? processCpuUs(helper) : 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < jobs) {
        next += 1;
        await variant.once();
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  const ownUs = (used.user + used.system) / jobs;
  const helperUs = helper && variant.helperPid?.() === helper ? (processCpuUs(helper) - helperCpu) / jobs : 0;
  return { rate: jobs / seconds, cpuUs: ownUs + helperUs, ownCpuUs: ownUs };
}

function median(values: readonly number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
}

/**
 * What the worker's spawn path costs: `sh -c true`, 8 in flight, through
 * bare child_process, through execa (with its defaults and with the options
 * the worker used to pass it) and through the worker's own CommandExecutor.
 * Variants take turns, round after round, and each figure is the median of
 * its rounds, so a burst of load from elsewhere hits all of them alike. The
 * baseline is `bare.ignore` of the same rounds.
 */
export const spawnPaths: Scenario = {
  name: 'spawn-paths',
  description: `sh -c true, ${IN_FLIGHT} in flight: bare child_process vs execa vs the worker's CommandExecutor (${ROUNDS} interleaved rounds)`,
  async run(context): Promise<Figure[]> {
    const variants: Record<string, Variant> = {};
    for (const [name, variant] of Object.entries(VARIANTS))
      if (!variant.setup || (await variant.setup(context.log))) variants[name] = variant;
    const samples = new Map<string, Sample[]>(Object.keys(variants).map((name) => [name, []]));
    for (const variant of Object.values(variants)) await measure(variant, 100);
    for (let i = 0; i < ROUNDS; i += 1) {
      for (const [name, variant] of Object.entries(variants)) samples.get(name)?.push(await measure(variant, JOBS));
    }
    const rateOf = (name: string): number => round(median((samples.get(name) ?? []).map((s) => s.rate)), 0);
    const cpuOf = (name: string): number => round(median((samples.get(name) ?? []).map((s) => s.cpuUs)), 0);
    const ownCpuOf = (name: string): number => round(median((samples.get(name) ?? []).map((s) => s.ownCpuUs)), 0);
    for (const [name, list] of samples)
      context.log(`${name}: ${list.map((s) => `${Math.round(s.rate)}/s ${Math.round(s.cpuUs)}µs`).join(', ')}`);
    const params = { jobs: JOBS, inFlight: IN_FLIGHT, rounds: ROUNDS };
    const figures: Figure[] = [];
    for (const name of Object.keys(variants)) {
      const bare = name === 'bare.ignore';
      const base = variants[name]?.baseline ?? 'bare.ignore';
      figures.push(
        {
          name: `spawn-paths.${name}`,
          value: rateOf(name),
          unit: 'jobs/s',
          ...(bare ? {} : { baseline: { name: `spawn-paths.${base}`, value: rateOf(base) } }),
          ...(name === 'command-executor' ? { target: '>= 0.9x bare' } : {}),
          ...(variants[name]?.target ? { target: variants[name].target } : {}),
          params,
        },
        {
          name: `spawn-paths.${name}.cpu`,
          value: cpuOf(name),
          unit: 'µs/job',
          ...(bare ? {} : { baseline: { name: `spawn-paths.${base}.cpu`, value: cpuOf(base) } }),
          params,
        },
      );
      if (variants[name]?.helperPid) {
        // The .cpu figure above counts the helper process too; this is what is left on the worker's event loop.
        figures.push({
          name: `spawn-paths.${name}.worker-cpu`,
          value: ownCpuOf(name),
          unit: 'µs/job',
          baseline: { name: 'spawn-paths.bare.ignore.cpu', value: cpuOf('bare.ignore') },
          params,
        });
      }
    }
    return figures;
  },
};
