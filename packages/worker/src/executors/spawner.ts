import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';

/** The spawner program (Perl: on every Debian system as perl-base, small, and it forks cheaply). */
export const SPAWNER_SCRIPT = fileURLToPath(new URL('../../spawner/spawner.pl', import.meta.url));

export interface SpawnRequest {
  file: string;
  argv: readonly string[];
  /** '' = the worker's. */
  cwd: string;
  /** Laid over the spawner's environment (the worker's, inherited when it started). */
  env: Readonly<Record<string, string>>;
  stdin: Uint8Array;
}

export interface SpawnHandlers {
  started(pid: number): void;
  /** The process could not be started: the errno code (ENOENT, ...) and whether chdir to cwd failed. */
  failed(code: string, stage: 'exec' | 'cwd' | 'fork' | 'pipe'): void;
  output(stream: 'stdout' | 'stderr', data: Buffer): void;
  /** After both pipes have closed and the process was reaped. */
  ended(code: number | null, signal: NodeJS.Signals | null): void;
}

const ERRNO_NAMES = new Map<number, string>(Object.entries(constants.errno).map(([name, number]) => [number, name]));
const SIGNAL_NAMES = new Map<number, NodeJS.Signals>(Object.entries(constants.signals).map(([name, number]) => [number, name as NodeJS.Signals]));
const HEADER = 9;
const EMPTY = new Uint8Array(0);

/**
 * A long-lived helper process that forks and execs jobs for the worker. The
 * worker's own fork costs grow with its size (page tables are copied); the
 * helper is a few MiB. Jobs still get their own process group (the worker
 * signals it directly), env, cwd, stdin and separate stdout/stderr.
 */
export interface SpawnerOptions {
  /** @default SPAWNER_SCRIPT */
  script?: string;
  /** The environment jobs start from (the helper's own); each request's env is laid over it. */
  env?: Readonly<Record<string, string | undefined>>;
}

export class Spawner {
  readonly #script: string;
  readonly #env: Readonly<Record<string, string | undefined>> | undefined;
  #child: ChildProcess | null = null;
  readonly #pending = new Map<number, SpawnHandlers>();
  #nextId = 1;
  #buffer: Buffer = Buffer.alloc(0);

  constructor(options: SpawnerOptions = {}) {
    this.#script = options.script ?? SPAWNER_SCRIPT;
    this.#env = options.env;
  }

  spawn(request: SpawnRequest, handlers: SpawnHandlers): void {
    const child = this.#ensure();
    // Id 0 is the environment request.
    const id = this.#nextId;
    this.#nextId = id === 0xffffffff ? 1 : id + 1;
    this.#pending.set(id, handlers);
    if (this.#pending.size === 1) this.#ref(true);
    const stdin = child.stdin;
    if (!stdin) return;
    // Requests of one turn (a dispatch batch) go out in one write.
    if (stdin.writableCorked === 0) {
      stdin.cork();
      process.nextTick(() => stdin.uncork());
    }
    stdin.write(encode(id, request));
  }

  #ensure(): ChildProcess {
    if (this.#child) return this.#child;
    const env = this.#env ?? process.env;
    // perl runs with a bare environment (PERL5OPT and the like are the jobs'); it gets theirs in its first request.
    const child = spawn('perl', [this.#script], { stdio: ['pipe', 'pipe', 'inherit'], env: { PATH: env.PATH ?? '/usr/bin:/bin' } });
    child.stdout?.on('data', (data: Buffer) => this.#onData(data));
    child.stdin?.on('error', () => {});
    child.once('error', () => this.#lost(child));
    // 'close', not 'exit': events still in the pipe when it exits are read first.
    child.once('close', () => this.#lost(child));
    this.#child = child;
    this.#ref(false);
    const base: Record<string, string> = {};
    for (const key in env) if (env[key] !== undefined) base[key] = env[key];
    child.stdin?.write(encode(0, { file: '', argv: [], cwd: '', env: base, stdin: EMPTY }));
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
    this.#buffer = Buffer.alloc(0);
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const handlers of pending) handlers.failed('ESPAWNER', 'fork');
  }

  #onData(data: Buffer): void {
    let buffer = this.#buffer.length ? Buffer.concat([this.#buffer, data]) : data;
    let at = 0;
    while (buffer.length - at >= HEADER) {
      const length = buffer.readUInt32BE(at + 5);
      if (buffer.length - at < HEADER + length) break;
      const type = buffer[at] as number;
      const id = buffer.readUInt32BE(at + 1);
      const body = buffer.subarray(at + HEADER, at + HEADER + length);
      at += HEADER + length;
      this.#event(type, id, body);
    }
    buffer = at === buffer.length ? Buffer.alloc(0) : buffer.subarray(at);
    // Keep no view into a large chunk that is otherwise done with.
    this.#buffer = buffer.length && buffer.buffer.byteLength > 4 * buffer.length ? Buffer.from(buffer) : buffer;
  }

  #event(type: number, id: number, body: Buffer): void {
    const handlers = this.#pending.get(id);
    if (!handlers) return;
    switch (type) {
      case 0x53: // S
        handlers.started(Number(body.toString('latin1')));
        break;
      case 0x4f: // O
        handlers.output('stdout', own(body));
        break;
      case 0x52: // R
        handlers.output('stderr', own(body));
        break;
      case 0x45: { // E
        this.#done(id);
        const [stage, errno] = body.toString('latin1').split(' ');
        handlers.failed(ERRNO_NAMES.get(Number(errno)) ?? `errno ${errno}`, stage as 'exec');
        break;
      }
      case 0x58: { // X
        this.#done(id);
        const [code, signal] = body.toString('latin1').split(' ').map(Number) as [number, number];
        handlers.ended(code >= 0 ? code : null, code >= 0 ? null : (SIGNAL_NAMES.get(signal) ?? 'SIGKILL'));
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

  /** Ends the helper (it exits on EOF); running jobs go on in their groups. */
  stop(): void {
    this.#child?.stdin?.end();
  }
}

/**
 * Output is kept until the master has it; a small slice of a read that
 * carried other jobs' events would keep the whole read alive, so it is copied.
 */
function own(body: Buffer): Buffer {
  return body.length * 2 >= body.buffer.byteLength ? body : Buffer.from(body);
}

function encode(id: number, request: SpawnRequest): Buffer {
  const parts: string[] = [request.file, request.cwd, ...request.argv];
  let envc = 0;
  for (const key in request.env) {
    parts.push(`${key}=${request.env[key]}`);
    envc += 1;
  }
  const strings = Buffer.from(`${parts.join('\0')}\0`);
  const frame = Buffer.allocUnsafe(16 + strings.length + request.stdin.length);
  frame.writeUInt32BE(12 + strings.length + request.stdin.length, 0);
  frame.writeUInt32BE(id, 4);
  frame.writeUInt32BE(request.argv.length, 8);
  frame.writeUInt32BE(envc, 12);
  strings.copy(frame, 16);
  frame.set(request.stdin, 16 + strings.length);
  return frame;
}
