import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import type { ExecutionContext, ExecutionOutcome, Executor } from './executor.js';
import { exitCodeForSignal, signalGroup } from './process-group.js';

export interface CommandExecutorOptions {
  /**
   * The environment every job starts from; the job's own `env` is laid over
   * it. Copied once, here: reading `process.env` goes through C++ for every
   * variable, which cost about 0.14 ms a job when done per spawn.
   * @default the worker process's environment when the executor is created
   */
  baseEnv?: Readonly<Record<string, string | undefined>>;
}

const STDIO_NO_INPUT: StdioOptions = ['ignore', 'pipe', 'pipe'];
const STDIO_INPUT: StdioOptions = ['pipe', 'pipe', 'pipe'];

/**
 * Runs `/bin/sh -c <command>`, or an argv without a shell, in its own process
 * group. Timeout and cancel send SIGTERM to the group, then SIGKILL after the
 * grace period; when the main process exits, whatever it left behind in its
 * group is killed too. Output is passed on as raw bytes, so binary output is
 * not corrupted.
 *
 * Straight on `child_process.spawn`: execa cost about twice the CPU of a bare
 * spawn per job (option normalisation, a copy of `process.env`, an
 * AbortController aborted with a DOMException per subprocess, promise and
 * stream bookkeeping), and a worker's throughput is bound by that CPU.
 */
export class CommandExecutor implements Executor {
  readonly type = 'command';
  readonly #baseEnv: Readonly<Record<string, string | undefined>>;

  constructor(options: CommandExecutorOptions = {}) {
    this.#baseEnv = { ...(options.baseEnv ?? process.env) };
  }

  run(context: ExecutionContext): Promise<ExecutionOutcome> {
    const { spec } = context;
    const file = spec.command ? '/bin/sh' : (spec.argv[0] as string);
    const args = spec.command ? ['-c', spec.command] : spec.argv.slice(1);
    const hasInput = spec.stdin.length > 0;
    let child: ChildProcess;
    try {
      child = spawn(file, args, {
        env: { ...this.#baseEnv, ...spec.env },
        cwd: spec.cwd || undefined,
        stdio: hasInput ? STDIO_INPUT : STDIO_NO_INPUT,
        detached: true,
      });
    } catch (error) {
      // Invalid arguments (a NUL byte in an argument) throw instead of emitting 'error'.
      return Promise.resolve(startFailure(file, spec.cwd, error));
    }
    return new Promise((resolve) => watch(child, file, context, hasInput, resolve));
  }
}

/** Follows one child from spawn to close and resolves exactly once. */
function watch(child: ChildProcess, file: string, context: ExecutionContext, hasInput: boolean, resolve: (outcome: ExecutionOutcome) => void): void {
  const { spec, signal } = context;
  const pid = child.pid;
  let forceKill: NodeJS.Timeout | undefined;
  let settled = false;
  const onAbort = (): void => {
    if (pid === undefined) return;
    signalGroup(pid, 'SIGTERM');
    forceKill = setTimeout(() => signalGroup(pid, 'SIGKILL'), context.killGraceMs);
  };
  const settle = (outcome: ExecutionOutcome): void => {
    if (settled) return;
    settled = true;
    clearTimeout(forceKill);
    signal.removeEventListener('abort', onAbort);
    resolve(outcome);
  };

  // Spawn failures (missing file, bad cwd, no permission) arrive as an
  // 'error' event; an unhandled one would take the worker down.
  child.once('error', (error) => settle(startFailure(file, spec.cwd, error)));
  if (pid === undefined) return;

  context.onStarted(pid);
  child.stdout?.on('data', (data: Buffer) => context.onOutput('stdout', data));
  child.stderr?.on('data', (data: Buffer) => context.onOutput('stderr', data));
  if (hasInput && child.stdin) {
    // A child that exits without reading its input makes the write fail with
    // EPIPE: that is the job's business, not an error of the worker.
    child.stdin.on('error', () => {});
    child.stdin.end(spec.stdin);
  }
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  // Children left running in the background (`sleep 100 &`) would keep the
  // pipes open and outlive the job: the job ends when its main process does.
  child.once('exit', () => signalGroup(pid, 'SIGKILL'));
  // 'close' comes after 'exit' and after the pipes have ended, so every byte of output has been passed on.
  child.once('close', (code: number | null, killedBy: NodeJS.Signals | null) => {
    if (code === 0) settle({ succeeded: true, reason: null, exitCode: 0, error: '' });
    else if (code !== null) settle({ succeeded: false, reason: 'EXIT_CODE', exitCode: code, error: `exited with code ${code}` });
    else if (killedBy) settle({ succeeded: false, reason: 'EXIT_CODE', exitCode: exitCodeForSignal(killedBy), error: `killed by ${killedBy}` });
    else settle({ succeeded: false, reason: 'EXECUTOR_ERROR', exitCode: null, error: `${file} ended without an exit code or signal` });
  });
}

function startFailure(file: string, cwd: string, error: unknown): ExecutionOutcome {
  return { succeeded: false, reason: 'EXECUTOR_ERROR', exitCode: null, error: startError(file, cwd, error) };
}

function startError(file: string, cwd: string, error: unknown): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOENT') return cwd ? `could not start ${file} in ${cwd}: no such file or directory` : `could not start ${file}: no such file or directory`;
  if (code === 'ENOTDIR') return `could not start ${file} in ${cwd}: not a directory`;
  if (code === 'EACCES') return `could not start ${file}: permission denied`;
  const message = error instanceof Error ? error.message : String(error);
  return `could not start ${file}: ${message.split('\n')[0]}`;
}
