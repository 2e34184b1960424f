import type { Clock, Timer } from '@dist-exec/core';
import type { NodeManager } from '../nodes/node-manager.js';

/**
 * Re-derives node health from heartbeat times on a short tick, so a silent
 * node is noticed within a fraction of the heartbeat timeout.
 *
 * It also notices when the master itself was stalled: a tick that runs more
 * than a tick late means nothing here ran meanwhile (SIGSTOP, swapping, a
 * long GC pause), heartbeats included, so that time is not held against the
 * nodes.
 */
export class HealthController {
  readonly #nodes: NodeManager;
  readonly #clock: Clock;
  readonly #tickMs: number;
  #timer: Timer | null = null;
  #dueAtMs = 0;

  constructor(options: { nodes: NodeManager; clock: Clock; tickMs: number }) {
    this.#nodes = options.nodes;
    this.#clock = options.clock;
    this.#tickMs = options.tickMs;
  }

  start(): void {
    if (this.#timer) return;
    this.#schedule();
  }

  #schedule(): void {
    this.#dueAtMs = this.#clock.now() + this.#tickMs;
    this.#timer = this.#clock.setTimeout(() => this.#tick(), this.#tickMs);
  }

  #tick(): void {
    const now = this.#clock.now();
    const lateMs = now - this.#dueAtMs;
    if (lateMs > this.#tickMs) this.#nodes.notePause(now, lateMs);
    this.#nodes.checkHealth(now);
    this.#schedule();
  }

  stop(): void {
    this.#timer?.cancel();
    this.#timer = null;
  }
}
