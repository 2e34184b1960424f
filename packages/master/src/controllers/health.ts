import type { Clock, Timer } from '@dist-exec/core';
import type { NodeManager } from '../node-manager.js';

/**
 * Re-derives node health from heartbeat times on a short tick, so a silent
 * node is noticed within a fraction of the heartbeat timeout.
 */
export class HealthController {
  readonly #nodes: NodeManager;
  readonly #clock: Clock;
  readonly #tickMs: number;
  #timer: Timer | null = null;

  constructor(options: { nodes: NodeManager; clock: Clock; tickMs: number }) {
    this.#nodes = options.nodes;
    this.#clock = options.clock;
    this.#tickMs = options.tickMs;
  }

  start(): void {
    if (this.#timer) return;
    const tick = (): void => {
      this.#nodes.checkHealth(this.#clock.now());
      this.#timer = this.#clock.setTimeout(tick, this.#tickMs);
    };
    this.#timer = this.#clock.setTimeout(tick, this.#tickMs);
  }

  stop(): void {
    this.#timer?.cancel();
    this.#timer = null;
  }
}
