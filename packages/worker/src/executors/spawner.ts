import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  decodeEnded,
  encodeBaseEnv,
  encodeKill,
  encodeRequest,
  EVENT,
  EventReader,
  type SpawnRequest,
  type SpawnUsage,
} from './spawner-protocol.js';

export type { SpawnRequest, SpawnUsage } from './spawner-protocol.js';

/** The perl spawner: on every Debian system as perl-base, small, and it forks cheaply. */
export const SPAWNER_SCRIPT = fileURLToPath(new URL('../../spawner/spawner.pl', import.meta.url));
/** The native spawner (`spawner/spawner.c`), built at install where a C compiler is: clone(CLONE_VM | CLONE_VFORK), no copy at all. */
export const SPAWNER_BINARY = fileURLToPath(new URL('../../spawner/bin/dist-exec-spawner', import.meta.url));

/** Which spawner program runs: the same protocol either way. */
export type HelperKind = 'native' | 'perl';

/** Where starting a job failed. */
export type SpawnStage = 'exec' | 'cwd' | 'fork' | 'pipe' | 'cgroup' | 'rlimit' | 'user';

export interface SpawnHandlers {
  started(pid: number): void;
  /** The process could not be started: the errno code (ENOENT, ...) and the step that failed. */
  failed(code: string, stage: SpawnStage): void;
  output(stream: 'stdout' | 'stderr', data: Buffer): void;
  /**
   * After the main process was reaped, whatever it left was killed, and its
   * pipes closed. `usage` is null where nothing was measured (direct spawns).
   */
  ended(code: number | null, signal: NodeJS.Signals | null, usage: SpawnUsage | null): void;
}

/** A started (or starting) job: signals go to all of it (its group, its cgroup, its marked orphans). */
export interface SpawnedJob {
  kill(signal: NodeJS.Signals): void;
}

const ERRNO_NAMES = new Map<number, string>(Object.entries(constants.errno).map(([name, number]) => [number, name]));
const SIGNAL_NAMES = new Map<number, NodeJS.Signals>(
  Object.entries(constants.signals).map(([name, number]) => [number, name as NodeJS.Signals]),
);

export interface SpawnerOptions {
  /** @default 'perl' */
  kind?: HelperKind;
  /** The environment jobs start from (the helper's own); each request's env is laid over it. */
  env?: Readonly<Record<string, string | undefined>>;
}

/**
 * A long-lived helper process that starts jobs for the worker. The worker's
 * own fork costs grow with its size (page tables are copied); the native
 * helper does not copy at all (clone with CLONE_VM, as posix_spawn), the perl
 * one forks a few MiB. Jobs get their own session and process group, their
 * cgroups, limits and user, env, cwd, stdin and separate stdout/stderr; the
 * helper kills what a job leaves behind when it ends, signals all of a job
 * when asked (`SpawnedJob.kill`), and kills every job when the worker goes.
 */
export class Spawner {
  readonly #command: string;
  readonly #args: string[];
  readonly #env: Readonly<Record<string, string | undefined>> | undefined;
  #child: ChildProcess | null = null;
  readonly #pending = new Map<number, SpawnHandlers>();
  #nextId = 1;

  constructor(options: SpawnerOptions = {}) {
    const native = options.kind === 'native';
    this.#command = native ? SPAWNER_BINARY : 'perl';
    this.#args = native ? [] : [SPAWNER_SCRIPT];
    this.#env = options.env;
  }

  spawn(request: SpawnRequest, handlers: SpawnHandlers): SpawnedJob {
    const child = this.#ensure();
    // Id 0 is the environment request.
    const id = this.#nextId;
    this.#nextId = id === 0xffffffff ? 1 : id + 1;
    this.#pending.set(id, handlers);
    if (this.#pending.size === 1) this.#ref(true);
    this.#send(child, encodeRequest(id, request));
    return {
      kill: (signal) => {
        if (this.#child === child && this.#pending.has(id))
          this.#send(child, encodeKill(id, constants.signals[signal]));
      },
    };
  }

  #send(child: ChildProcess, frame: Buffer): void {
    const stdin = child.stdin;
    if (!stdin) return;
    // Requests of one turn (a dispatch batch) go out in one write.
    if (stdin.writableCorked === 0) {
      stdin.cork();
      process.nextTick(() => stdin.uncork());
    }
    stdin.write(frame);
  }

  #ensure(): ChildProcess {
    if (this.#child) return this.#child;
    const env = this.#env ?? process.env;
    // The helper runs with a bare environment (PERL5OPT and the like are the jobs'); it gets theirs in its first request.
    const child = spawn(this.#command, this.#args, {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { PATH: env.PATH ?? '/usr/bin:/bin' },
    });
    // One reader per helper: a new helper starts with a clean frame boundary.
    const reader = new EventReader({
      event: (type, id, body) => this.#event(type, id, body),
      output: (type, id, data) => this.#output(type, id, data),
    });
    child.stdout?.on('data', (data: Buffer) => reader.push(data));
    child.stdin?.on('error', () => {});
    child.once('error', () => this.#lost(child));
    // 'close', not 'exit': events still in the pipe when it exits are read first.
    child.once('close', () => this.#lost(child));
    this.#child = child;
    this.#ref(false);
    const base: Record<string, string> = {};
    for (const key in env) if (env[key] !== undefined) base[key] = env[key];
    child.stdin?.write(encodeBaseEnv(base));
    return child;
  }

  /** Keeps the worker alive only while jobs run through the spawner. */
  #ref(on: boolean): void {
    const child = this.#child;
    if (!child) return;
    const handles = [child, child.stdin, child.stdout] as unknown as { ref?(): void; unref?(): void }[];
    for (const handle of handles) (on ? handle?.ref : handle?.unref)?.call(handle);
  }

  #lost(child: ChildProcess): void {
    if (this.#child !== child) return;
    this.#child = null;
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const handlers of pending) handlers.failed('ESPAWNER', 'fork');
  }

  #output(type: number, id: number, data: Buffer): void {
    this.#pending.get(id)?.output(type === EVENT.stdout ? 'stdout' : 'stderr', data);
  }

  #event(type: number, id: number, body: Buffer): void {
    const handlers = this.#pending.get(id);
    if (!handlers) return;
    switch (type) {
      case EVENT.started:
        handlers.started(Number(body.toString('latin1')));
        break;
      case EVENT.failed: {
        this.#done(id);
        const [stage, errno] = body.toString('latin1').split(' ');
        handlers.failed(ERRNO_NAMES.get(Number(errno)) ?? `errno ${errno}`, stage as SpawnStage);
        break;
      }
      case EVENT.ended: {
        this.#done(id);
        const { code, signal, usage } = decodeEnded(body);
        handlers.ended(code >= 0 ? code : null, code >= 0 ? null : (SIGNAL_NAMES.get(signal) ?? 'SIGKILL'), usage);
        break;
      }
    }
  }

  #done(id: number): void {
    this.#pending.delete(id);
    if (this.#pending.size === 0) this.#ref(false);
  }

  get pid(): number | null {
    return this.#child?.pid ?? null;
  }

  /** Ends the helper: it kills whatever jobs still run, then exits. */
  stop(): void {
    this.#child?.stdin?.end();
  }
}
