import type { Clock, Timer } from '@dist-exec/core';
import type { Logger } from 'pino';

export interface FenceOptions {
  clock: Clock;
  logger: Logger;
  /** Kill tasks after this long without a successful call to the master, in ms; 0 = never. */
  afterMs: number;
  /** Kills every running task; `silentMs` is how long the master has been out of reach. */
  onFence(silentMs: number): void;
  /** The master answered again after the fence fired: take work again. */
  onRestored(): void;
}

/**
 * Self-fencing for at-most-once execution. A worker cut off from the master
 * cannot know whether the master has already given its tasks to another
 * node; by default it keeps running them (as Nomad clients and the kubelet
 * do), but with a fence it kills them once it has had no successful
 * heartbeat for `afterMs`, before the master reschedules them elsewhere.
 *
 * Armed by the first contact with the master (a worker that never registered
 * runs nothing), re-armed by every later contact.
 */
export class Fence {
  readonly #options: FenceOptions;
  readonly #log: Logger;
  #timer: Timer | null = null;
  #lastContactMs = 0;
  #fenced = false;
  #stopped = false;

  constructor(options: FenceOptions) {
    this.#options = options;
    this.#log = options.logger.child({ component: 'fence' });
  }

  get enabled(): boolean {
    return this.#options.afterMs > 0;
  }

  get afterMs(): number {
    return this.#options.afterMs;
  }

  /** True from the moment the fence fired until the master answers again. */
  get fenced(): boolean {
    return this.#fenced;
  }

  /** The master answered: push the fence back. */
  contact(): void {
    if (!this.enabled || this.#stopped) return;
    this.#lastContactMs = this.#options.clock.now();
    if (this.#fenced) {
      this.#fenced = false;
      this.#log.info('master reachable again; taking work again');
      this.#options.onRestored();
    }
    this.#timer?.cancel();
    this.#timer = this.#options.clock.setTimeout(() => this.#fire(), this.#options.afterMs);
  }

  #fire(): void {
    this.#timer = null;
    if (this.#stopped) return;
    const silentMs = this.#options.clock.now() - this.#lastContactMs;
    this.#fenced = true;
    this.#log.warn(
      { silentMs, fenceAfterMs: this.#options.afterMs },
      'no heartbeat reached the master in time; killing running tasks',
    );
    this.#options.onFence(silentMs);
  }

  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#timer = null;
  }
}
