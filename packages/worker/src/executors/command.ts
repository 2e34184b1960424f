import { execa } from 'execa';
import { errorMessage } from '@dist-exec/core';
import type { ExecutionContext, ExecutionOutcome, Executor } from './executor.js';
import { exitCodeForSignal, signalGroup } from './process-group.js';

/**
 * Runs `/bin/sh -c <command>`, or an argv without a shell, in its own process
 * group. Timeout and cancel send SIGTERM to the group, then SIGKILL after the
 * grace period; when the main process exits, whatever it left behind in its
 * group is killed too. Output is passed on as raw bytes, so binary output is
 * not corrupted.
 */
export class CommandExecutor implements Executor {
  readonly type = 'command';

  async run(context: ExecutionContext): Promise<ExecutionOutcome> {
    const { spec, signal } = context;
    const [file, ...args] = spec.command ? ['/bin/sh', '-c', spec.command] : spec.argv;
    const subprocess = execa(file as string, args, {
      env: spec.env,
      cwd: spec.cwd || undefined,
      ...(spec.stdin.length ? { input: spec.stdin } : { stdin: 'ignore' as const }),
      detached: true,
      buffer: false,
      reject: false,
      encoding: 'buffer',
      stripFinalNewline: false,
    });
    const pid = subprocess.pid;
    if (pid === undefined) {
      const result = await subprocess;
      return { succeeded: false, reason: 'EXECUTOR_ERROR', exitCode: null, error: startError(file as string, spec.cwd, result) };
    }
    context.onStarted(pid);
    subprocess.stdout?.on('data', (data: Buffer) => context.onOutput('stdout', data));
    subprocess.stderr?.on('data', (data: Buffer) => context.onOutput('stderr', data));

    let forceKill: NodeJS.Timeout | undefined;
    const onAbort = (): void => {
      signalGroup(pid, 'SIGTERM');
      forceKill = setTimeout(() => signalGroup(pid, 'SIGKILL'), context.killGraceMs);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    // Children left running in the background (`sleep 100 &`) would keep the
    // pipes open and outlive the job: the job ends when its main process does.
    subprocess.once('exit', () => signalGroup(pid, 'SIGKILL'));

    try {
      const result = await subprocess;
      if (result.exitCode === 0) return { succeeded: true, reason: null, exitCode: 0, error: '' };
      if (result.exitCode !== undefined) {
        return { succeeded: false, reason: 'EXIT_CODE', exitCode: result.exitCode, error: `exited with code ${result.exitCode}` };
      }
      if (result.signal) {
        return { succeeded: false, reason: 'EXIT_CODE', exitCode: exitCodeForSignal(result.signal), error: `killed by ${result.signal}` };
      }
      return { succeeded: false, reason: 'EXECUTOR_ERROR', exitCode: null, error: startError(file as string, spec.cwd, result) };
    } catch (error) {
      return { succeeded: false, reason: 'EXECUTOR_ERROR', exitCode: null, error: errorMessage(error) };
    } finally {
      clearTimeout(forceKill);
      signal.removeEventListener('abort', onAbort);
    }
  }
}

function startError(file: string, cwd: string, result: { code?: string; shortMessage?: string; message?: string }): string {
  if (result.code === 'ENOENT') return cwd ? `could not start ${file} in ${cwd}: no such file or directory` : `could not start ${file}: no such file or directory`;
  if (result.code === 'EACCES') return `could not start ${file}: permission denied`;
  return result.shortMessage ?? result.message ?? `could not start ${file}`;
}
