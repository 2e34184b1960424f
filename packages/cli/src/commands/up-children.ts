/**
 * The processes `dist-exec up` runs: each in its own process group (a
 * Ctrl-C in the terminal reaches only `up`, which stops them in order), its
 * log lines handed to `onLine`. A worker that dies while the cluster is up
 * is reported and started again after a backoff (1s, 2s, 4s … 30s; back to
 * 1s once it has run for a minute), with the same id and state dir, so it
 * takes its node back.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { backoffDelay, formatDuration } from '@dist-exec/core';

/** First and longest wait before a crashed worker is started again. */
export const RESTART_BACKOFF = { baseMs: 1000, capMs: 30_000, jitter: 0 } as const;
/** A worker that ran this long before it died starts again after the first delay. */
const STABLE_AFTER_MS = 60_000;

export interface ChildSpec {
  name: string;
  program: string;
  args: readonly string[];
  env?: NodeJS.ProcessEnv;
}

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** How a child ended, as a person reads it: `code 1`, `signal SIGKILL`. */
export function describeExit({ code, signal }: ChildExit): string {
  return signal ? `signal ${signal}` : `code ${code}`;
}

/** One program `up` keeps running. */
export class LocalChild {
  #process: ChildProcess | null = null;
  #exited: Promise<ChildExit> = Promise.resolve({ code: null, signal: null });
  #restarts = 0;
  #startedAt = 0;
  #timer: NodeJS.Timeout | null = null;
  #stopping = false;

  constructor(
    readonly spec: ChildSpec,
    private readonly onLine: (line: string) => void,
    /** Says something about the child on up's own output (its exit, its restart). */
    private readonly notice: (line: string) => void,
    /** Start it again when it dies (workers); the master's death ends `up` instead. */
    private readonly restart: boolean,
    private readonly onDeath: (exit: ChildExit) => void = () => {},
  ) {}

  get name(): string {
    return this.spec.name;
  }

  get pid(): number | undefined {
    return this.#process?.pid;
  }

  /** Resolves when the current process has exited. */
  get exited(): Promise<ChildExit> {
    return this.#exited;
  }

  start(): void {
    const child = spawn(process.execPath, [this.spec.program, ...this.spec.args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
      env: { ...process.env, ...this.spec.env },
    });
    this.#process = child;
    this.#startedAt = Date.now();
    for (const stream of [child.stdout, child.stderr]) createInterface({ input: stream }).on('line', this.onLine);
    this.#exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        resolve({ code, signal });
        if (!this.#stopping) this.#died({ code, signal });
      }),
    );
  }

  #died(exit: ChildExit): void {
    this.onDeath(exit);
    if (!this.restart) return;
    if (Date.now() - this.#startedAt > STABLE_AFTER_MS) this.#restarts = 0;
    this.#restarts += 1;
    const delay = backoffDelay(this.#restarts, RESTART_BACKOFF);
    this.notice(`${this.name} exited (${describeExit(exit)}); starting it again in ${formatDuration(delay)}`);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      if (this.#stopping) return;
      this.start();
      this.notice(`${this.name} started again (pid ${this.pid})`);
    }, delay);
  }

  /** Sends `signal` and resolves when the process has exited; it is not started again. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    this.#stopping = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.kill(signal);
    await this.#exited;
  }

  /** Signals the process if it still runs (SIGKILL on the way out). */
  kill(signal: NodeJS.Signals): void {
    this.#stopping = true;
    const child = this.#process;
    if (child && child.exitCode === null && child.signalCode === null) child.kill(signal);
  }
}
