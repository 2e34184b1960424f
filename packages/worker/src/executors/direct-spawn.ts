import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { statSync } from 'node:fs';
import { signalGroup } from './process-group.js';
import type { SpawnHandlers, SpawnRequest } from './spawner.js';

const STDIO_NO_INPUT: StdioOptions = ['ignore', 'pipe', 'pipe'];
const STDIO_INPUT: StdioOptions = ['pipe', 'pipe', 'pipe'];

/**
 * Spawns a job from the worker process itself with `child_process.spawn`:
 * the fallback where the spawner helper cannot run (no perl). Same contract
 * as `Spawner.spawn`, with fewer guarantees: own process group, the group
 * killed when the main process exits, `ended` once both pipes have closed;
 * no cgroup (a child cannot join one before it runs), nothing measured, and
 * what left the group is not found (no subreaper) until a restarted worker
 * sweeps it. Runs as another user (uid, gid; libuv drops supplementary groups).
 */
export function spawnDirect(
  request: SpawnRequest,
  baseEnv: Readonly<Record<string, string | undefined>>,
  handlers: SpawnHandlers,
): void {
  const hasInput = request.stdin.length > 0;
  let child: ChildProcess;
  try {
    child = spawn(request.file, request.argv.slice(1), {
      argv0: request.argv[0],
      env: { ...baseEnv, ...request.env },
      cwd: request.cwd || undefined,
      stdio: hasInput ? STDIO_INPUT : STDIO_NO_INPUT,
      detached: true,
      ...(request.credentials ? { uid: request.credentials.uid, gid: request.credentials.gid } : {}),
    });
  } catch (error) {
    // Some failures (ENOTDIR, a NUL byte in an argument) throw instead of emitting 'error'.
    handlers.failed((error as NodeJS.ErrnoException).code ?? 'EINVAL', failedStage(request));
    return;
  }
  let settled = false;
  // Spawn failures (missing file, bad cwd, no permission) arrive as an
  // 'error' event; an unhandled one would take the worker down.
  child.once('error', (error: NodeJS.ErrnoException) => {
    if (settled) return;
    settled = true;
    handlers.failed(error.code ?? 'EIO', failedStage(request));
  });
  const pid = child.pid;
  if (pid === undefined) return;
  handlers.started(pid);
  child.stdout?.on('data', (data: Buffer) => handlers.output('stdout', data));
  child.stderr?.on('data', (data: Buffer) => handlers.output('stderr', data));
  if (hasInput && child.stdin) {
    // A child that exits without reading its input makes the write fail with
    // EPIPE: that is the job's business, not an error of the worker.
    child.stdin.on('error', () => {});
    child.stdin.end(request.stdin);
  }
  // Children left running in the background (`sleep 100 &`) would keep the
  // pipes open and outlive the job: the job ends when its main process does.
  let drain: NodeJS.Timeout | undefined;
  child.once('exit', (code: number | null, signal: NodeJS.Signals | null) => {
    signalGroup(pid, 'SIGKILL');
    // One that left the group (setsid) may hold the pipes for ever: stop waiting for them.
    drain = setTimeout(() => {
      child.stdout?.destroy();
      child.stderr?.destroy();
      if (settled) return;
      settled = true;
      handlers.ended(code, signal, null);
    }, PIPE_DRAIN_MS);
    drain.unref();
  });
  // 'close' comes after 'exit' and after the pipes have ended, so every byte of output has been passed on.
  child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
    clearTimeout(drain);
    if (settled) return;
    settled = true;
    handlers.ended(code, signal, null);
  });
}

/** After the main process exited, how long its output pipes may stay open (held by what escaped its group). */
const PIPE_DRAIN_MS = 2000;

/** Node reports a bad cwd like a missing program (ENOENT): look, on this rare path, to say which. */
function failedStage(request: SpawnRequest): 'cwd' | 'exec' {
  if (!request.cwd) return 'exec';
  try {
    return statSync(request.cwd).isDirectory() ? 'exec' : 'cwd';
  } catch {
    return 'cwd';
  }
}
