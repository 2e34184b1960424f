import { InvalidArgumentError } from '@dist-exec/core';
import { accessSync, constants as fsConstants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { spawnDirect } from './direct-spawn.js';
import type { ExecutionContext, ExecutionOutcome, Executor } from './executor.js';
import { exitCodeForSignal, signalGroup } from './process-group.js';
import { Spawner, SPAWNER_BINARY, type HelperKind, type SpawnHandlers, type SpawnRequest } from './spawner.js';

/** `helper`: started by a small long-lived helper process (native, or perl); `direct`: `child_process.spawn` from the worker. */
export type SpawnMode = 'helper' | 'direct';

export interface CommandExecutorOptions {
  /**
   * The environment every job starts from; the job's own `env` is laid over
   * it. Copied once, here: reading `process.env` goes through C++ for every
   * variable, which cost about 0.14 ms a job when done per spawn.
   * @default the worker process's environment when the executor is created
   */
  baseEnv?: Readonly<Record<string, string | undefined>>;
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
};

/**
 * Runs `/bin/sh -c <command>`, or an argv without a shell, in its own process
 * group. Timeout and cancel send SIGTERM to the group, then SIGKILL after the
 * grace period; when the main process exits, whatever it left behind in its
 * group is killed too. Output is passed on as raw bytes, so binary output is
 * not corrupted.
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
  readonly #baseEnv: Readonly<Record<string, string | undefined>>;
  readonly #spawner: Spawner | null;

  constructor(options: CommandExecutorOptions = {}) {
    this.#baseEnv = { ...(options.baseEnv ?? process.env) };
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
  }

  run(context: ExecutionContext): Promise<ExecutionOutcome> {
    const { spec } = context;
    const request: SpawnRequest = spec.command
      ? { file: '/bin/sh', argv: ['/bin/sh', '-c', spec.command], cwd: spec.cwd, env: spec.env, stdin: spec.stdin }
      : { file: spec.argv[0] as string, argv: spec.argv, cwd: spec.cwd, env: spec.env, stdin: spec.stdin };
    return new Promise((resolve) => {
      const handlers = attemptHandlers(request, context, resolve);
      if (this.#spawner) this.#spawner.spawn(request, handlers);
      else spawnDirect(request, this.#baseEnv, handlers);
    });
  }

  /** The helper's pid while it runs (null: none yet, or direct spawning). */
  get helperPid(): number | null {
    return this.#spawner?.pid ?? null;
  }

  /** Ends the helper process; jobs still running go on in their groups. */
  stop(): void {
    this.#spawner?.stop();
  }
}

/** Ties one attempt's process to its context: started, output, abort (TERM, then KILL after the grace), outcome. */
function attemptHandlers(
  request: SpawnRequest,
  context: ExecutionContext,
  resolve: (outcome: ExecutionOutcome) => void,
): SpawnHandlers {
  const { signal } = context;
  let pid = 0;
  let aborted = false;
  let forceKill: NodeJS.Timeout | undefined;
  const onAbort = (): void => {
    aborted = true;
    if (pid === 0) return; // signalled once it has started
    signalGroup(pid, 'SIGTERM');
    forceKill = setTimeout(() => signalGroup(pid, 'SIGKILL'), context.killGraceMs);
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
      context.onStarted(started);
      if (aborted) onAbort();
    },
    output: (stream, data) => context.onOutput(stream, data),
    failed(code, stage) {
      // The helper died under a running job: nothing will reap or watch its group now.
      if (pid !== 0) signalGroup(pid, 'SIGKILL');
      settle({ succeeded: false, reason: 'EXECUTOR_ERROR', exitCode: null, error: startError(request, code, stage) });
    },
    ended(code, killedBy) {
      if (code === 0) settle({ succeeded: true, reason: null, exitCode: 0, error: '' });
      else if (code !== null)
        settle({ succeeded: false, reason: 'EXIT_CODE', exitCode: code, error: `exited with code ${code}` });
      else if (killedBy)
        settle({
          succeeded: false,
          reason: 'EXIT_CODE',
          exitCode: exitCodeForSignal(killedBy),
          error: `killed by ${killedBy}`,
        });
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

function startError(request: SpawnRequest, code: string, stage: string): string {
  const why = ERROR_TEXT[code] ?? code;
  if (code === 'ESPAWNER') return `could not run ${request.file}: ${why}`;
  return stage === 'cwd'
    ? `could not start ${request.file} in ${request.cwd}: ${why}`
    : `could not start ${request.file}: ${why}`;
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
