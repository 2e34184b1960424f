import { errorMessage, InvalidArgumentError, type AttemptRef, type JobSpec } from '@dist-exec/core';
import { accessSync, constants as fsConstants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { JobIsolation, type AttemptIsolation, type IsolationOptions } from '../isolation/index.js';
import { DEFAULT_JOB_PATH, jobBaseEnvironment } from '../job-environment.js';
import { spawnDirect } from './direct-spawn.js';
import type { ExecutionContext, ExecutionOutcome, Executor, ExecutorStart } from './executor.js';
import { exitCodeForSignal, signalGroup } from './process-group.js';
import {
  Spawner,
  SPAWNER_BINARY,
  type HelperKind,
  type SpawnHandlers,
  type SpawnRequest,
  type SpawnStage,
} from './spawner.js';

/** `helper`: started by a small long-lived helper process (native, or perl); `direct`: `child_process.spawn` from the worker. */
export type SpawnMode = 'helper' | 'direct';

export interface CommandExecutorOptions {
  /**
   * The worker's environment, which jobs start from without dist-exec's own
   * settings and secrets (see job-environment.ts); the job's own `env` is laid
   * over it. Copied once, here: reading `process.env` goes through C++ for
   * every variable, which cost about 0.14 ms a job when done per spawn.
   * @default the worker process's environment when the executor is created
   */
  baseEnv?: Readonly<Record<string, string | undefined>>;
  /** Jobs start from PATH, HOME and LANG only. @default false */
  cleanEnv?: boolean;
  /** Cgroups, limits, users: see IsolationOptions. @default no limits (mode 'none') */
  isolation?: IsolationOptions;
  /**
   * How jobs are started. The helper costs the worker a tenth of the CPU of
   * its own fork per job, which grows with the worker's size (see the README,
   * Performance).
   * @default 'helper' where the native helper is built or `perl` is on the PATH, else 'direct'
   */
  spawn?: SpawnMode;
  /**
   * Which helper: the native one (posix_spawn, built at install where a C
   * compiler is) or the perl one (a fork per job: about 0.4 ms more CPU).
   * @default 'native' where it is built, else 'perl'
   */
  helper?: HelperKind;
}

const ERROR_TEXT: Record<string, string> = {
  ENOENT: 'no such file or directory',
  ENOTDIR: 'not a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOEXEC: 'not an executable format',
  E2BIG: 'the arguments and environment are too large',
  EAGAIN: 'no more processes allowed (fork failed)',
  ENOMEM: 'out of memory',
  EMFILE: 'too many open files',
  ESPAWNER: 'the spawner helper process exited',
  EBUSY: 'device or resource busy',
  EINVAL: 'invalid argument',
};

/**
 * Runs `/bin/sh -c <command>`, or an argv without a shell, in its own process
 * group and, where the worker isolates jobs, its own cgroup, limits and user
 * (see JobIsolation). Timeout and cancel send SIGTERM to all of it, then
 * SIGKILL after the grace period; when the main process exits, whatever it
 * left behind is killed too. Output is passed on as raw bytes, so binary
 * output is not corrupted.
 *
 * No execa: it cost about twice the CPU of a bare spawn per job (option
 * normalisation, a copy of `process.env`, an AbortController aborted with a
 * DOMException per subprocess, promise and stream bookkeeping), and a
 * worker's throughput is bound by that CPU.
 */
export class CommandExecutor implements Executor {
  readonly type = 'command';
  readonly mode: SpawnMode;
  /** The helper program in use; null when spawning directly. */
  readonly helper: HelperKind | null;
  readonly #baseEnv: Readonly<Record<string, string>>;
  readonly #spawner: Spawner | null;
  readonly #isolation: JobIsolation;

  constructor(options: CommandExecutorOptions = {}) {
    this.#baseEnv = jobBaseEnvironment(options.baseEnv ?? process.env, { clean: options.cleanEnv ?? false });
    const native = isExecutable(SPAWNER_BINARY);
    const perl = onPath('perl', this.#baseEnv.PATH);
    if (options.helper === 'native' && !native) {
      throw new InvalidArgumentError(
        `the native spawner is not built (${SPAWNER_BINARY}): install a C compiler (cc) and run npm run build`,
      );
    }
    if (options.helper === 'perl' && !perl) throw new InvalidArgumentError('the perl spawner needs perl on the PATH');
    const helper = options.helper ?? (native ? 'native' : perl ? 'perl' : null);
    if (options.spawn === 'helper' && !helper) {
      throw new InvalidArgumentError(
        'spawning through a helper needs the native spawner built (a C compiler at install) or perl on the PATH (or spawn directly: --spawn direct)',
      );
    }
    this.mode = options.spawn ?? (helper ? 'helper' : 'direct');
    this.helper = this.mode === 'helper' ? helper : null;
    this.#spawner = this.helper ? new Spawner({ kind: this.helper, env: this.#baseEnv }) : null;
    this.#isolation = new JobIsolation({
      ...options.isolation,
      spawnPath: this.helper ?? 'direct',
      searchPath: this.#baseEnv.PATH ?? DEFAULT_JOB_PATH,
    });
  }

  /** Detects what it can enforce (and says so), and kills what a previous run of this worker left running. */
  start(context: ExecutorStart): Promise<AttemptRef[]> {
    return this.#isolation.start(context);
  }

  check(spec: JobSpec): void {
    this.#isolation.check(spec);
  }

  run(context: ExecutionContext): Promise<ExecutionOutcome> {
    const { spec } = context;
    let plan: AttemptIsolation;
    try {
      plan = this.#isolation.plan(context.attempt, spec);
    } catch (error) {
      return Promise.resolve({
        succeeded: false,
        reason: 'EXECUTOR_ERROR',
        exitCode: null,
        error: errorMessage(error),
      });
    }
    const env = plan.env === NO_ENV ? spec.env : { ...plan.env, ...spec.env };
    const [file, argv] = spec.command
      ? ['/bin/sh', ['/bin/sh', '-c', spec.command]]
      : [spec.argv[0] as string, spec.argv];
    const prefix = plan.argvPrefix;
    const request: SpawnRequest = {
      file: prefix.length ? (prefix[0] as string) : file,
      argv: prefix.length ? [...prefix, file, ...argv.slice(1)] : argv,
      cwd: spec.cwd,
      env,
      stdin: spec.stdin,
      credentials: plan.credentials,
      limits: plan.limits,
      cgroup: plan.cgroup,
      marker: plan.marker,
    };
    return new Promise((resolve) => {
      const control: AttemptControl = { kill: () => {} };
      const handlers = attemptHandlers(request, context, plan, this.#isolation, control, resolve);
      if (this.#spawner) {
        const job = this.#spawner.spawn(request, handlers);
        control.kill = (_pid, signal) => job.kill(signal);
      } else {
        control.kill = (pid, signal) => signalGroup(pid, signal);
        spawnDirect(request, this.#baseEnv, handlers);
      }
    });
  }

  /** How jobs are confined: known once started. */
  get isolation(): 'cgroup' | 'rlimit' | 'none' {
    return this.#isolation.backend;
  }

  /** The helper's pid while it runs (null: none yet, or direct spawning). */
  get helperPid(): number | null {
    return this.#spawner?.pid ?? null;
  }

  /** Ends the helper process, which kills whatever jobs still run; removes this worker's cgroups. */
  stop(): void {
    this.#spawner?.stop();
    this.#isolation.stop();
  }
}

const NO_ENV = JobIsolation.NO_ENV;

/** How a running attempt is signalled: through its helper (group, cgroup, orphans), or its group directly. */
interface AttemptControl {
  kill(pid: number, signal: NodeJS.Signals): void;
}

/** Ties one attempt's process to its context: started, output, abort (TERM, then KILL after the grace), outcome. */
function attemptHandlers(
  request: SpawnRequest,
  context: ExecutionContext,
  plan: AttemptIsolation,
  isolation: JobIsolation,
  control: AttemptControl,
  resolve: (outcome: ExecutionOutcome) => void,
): SpawnHandlers {
  const { signal } = context;
  let pid = 0;
  let aborted = false;
  let forceKill: NodeJS.Timeout | undefined;
  const onAbort = (): void => {
    aborted = true;
    if (pid === 0) return; // signalled once it has started
    control.kill(pid, 'SIGTERM');
    forceKill = setTimeout(() => control.kill(pid, 'SIGKILL'), context.killGraceMs);
  };
  if (signal.aborted) aborted = true;
  else signal.addEventListener('abort', onAbort, { once: true });
  const settle = (outcome: ExecutionOutcome): void => {
    clearTimeout(forceKill);
    signal.removeEventListener('abort', onAbort);
    resolve(outcome);
  };
  return {
    started(started) {
      pid = started;
      isolation.started(plan, started);
      context.onStarted(started);
      if (aborted) onAbort();
    },
    output: (stream, data) => context.onOutput(stream, data),
    failed(code, stage) {
      // The helper died under a running job (nothing will reap or watch it now), or the job never started.
      if (pid !== 0) signalGroup(pid, 'SIGKILL');
      isolation.failed(plan, pid !== 0);
      settle({ succeeded: false, reason: 'EXECUTOR_ERROR', exitCode: null, error: startError(request, code, stage) });
    },
    ended(code, killedBy, measured) {
      const usage = isolation.ended(plan, measured);
      const used =
        usage.peakMemoryBytes || usage.cpuTimeMs
          ? { peakMemoryBytes: usage.peakMemoryBytes, cpuTimeMs: usage.cpuTimeMs }
          : {};
      const exitCode = code ?? (killedBy ? exitCodeForSignal(killedBy) : null);
      if (code === 0) settle({ succeeded: true, reason: null, exitCode: 0, error: '', ...used });
      else if (usage.oomKilled)
        settle({
          succeeded: false,
          reason: 'OUT_OF_MEMORY',
          exitCode,
          error: JobIsolation.oomError(plan, usage),
          ...used,
        });
      else if (code !== null)
        settle({ succeeded: false, reason: 'EXIT_CODE', exitCode: code, error: `exited with code ${code}`, ...used });
      else if (killedBy)
        settle({ succeeded: false, reason: 'EXIT_CODE', exitCode, error: `killed by ${killedBy}`, ...used });
      else
        settle({
          succeeded: false,
          reason: 'EXECUTOR_ERROR',
          exitCode: null,
          error: `${request.file} ended without an exit code or signal`,
        });
    },
  };
}

function startError(request: SpawnRequest, code: string, stage: SpawnStage): string {
  const why = ERROR_TEXT[code] ?? code;
  if (code === 'ESPAWNER') return `could not run ${request.file}: ${why}`;
  switch (stage) {
    case 'cwd':
      return `could not start ${request.file} in ${request.cwd}: ${why}`;
    case 'cgroup':
      return `could not set up the job's cgroup (${request.cgroup?.dirs[0] ?? '?'}): ${why}`;
    case 'user':
      return `could not switch to the job's user (uid ${request.credentials?.uid ?? '?'}): ${why}`;
    case 'rlimit':
      return `could not set the job's resource limits: ${why}`;
    default:
      return `could not start ${request.file}: ${why}`;
  }
}

function onPath(program: string, path: string | undefined): boolean {
  return (path ?? '').split(delimiter).some((dir) => dir !== '' && isExecutable(join(dir, program)));
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}
