import { errorMessage, type Clock, type Timer } from '@dist-exec/core';
import type { Logger } from 'pino';
import type { SimulatedNode } from './simulated-node.js';

export const FAILURE_TICK_MS = 100;

export interface FailureInjectorOptions {
  nodes: readonly SimulatedNode[];
  /** Chance that a live node crashes within any one second. */
  failRate: number;
  /** Mean downtime before a crashed node restarts (±50%). */
  downTimeMs: number;
  clock: Clock;
  random: () => number;
  logger: Logger;
  /** @default 100 */
  tickMs?: number;
}

/** The chance of a crash within one tick that makes `perSecond` the chance within a second. */
export function crashChancePerTick(perSecond: number, tickMs: number): number {
  if (perSecond >= 1) return 1;
  return 1 - (1 - perSecond) ** (tickMs / 1000);
}

/**
 * Crashes live nodes at random (each with `failRate` per second, checked
 * every tick) and restarts each after a random downtime. The crash is the
 * node's business (see SimulatedNode.crash); the master has to notice it by
 * itself, from broken streams, refused connections and missing heartbeats.
 */
export class FailureInjector {
  readonly #options: FailureInjectorOptions;
  readonly #log: Logger;
  readonly #restarts = new Set<Timer>();
  #tick: Timer | null = null;
  #stopped = false;
  crashes = 0;
  restarts = 0;

  constructor(options: FailureInjectorOptions) {
    this.#options = options;
    this.#log = options.logger.child({ component: 'failure-injector' });
  }

  start(): void {
    if (this.#options.failRate <= 0 || this.#tick || this.#stopped) return;
    this.#schedule();
  }

  #schedule(): void {
    const tickMs = this.#options.tickMs ?? FAILURE_TICK_MS;
    this.#tick = this.#options.clock.setTimeout(() => {
      if (this.#stopped) return;
      this.tick();
      this.#schedule();
    }, tickMs);
  }

  /** One round of dice for every live node. */
  tick(): void {
    const { nodes, failRate, random } = this.#options;
    const chance = crashChancePerTick(failRate, this.#options.tickMs ?? FAILURE_TICK_MS);
    for (const node of nodes) {
      if (node.state === 'up' && random() < chance) this.#crash(node);
    }
  }

  #crash(node: SimulatedNode): void {
    const { clock, random, downTimeMs } = this.#options;
    this.crashes += 1;
    this.#log.info({ nodeId: node.id }, 'crashing simulated node');
    void node.crash();
    const timer = clock.setTimeout(
      () => {
        this.#restarts.delete(timer);
        if (this.#stopped) return;
        node.restart().then(
          () => {
            this.restarts += 1;
          },
          (error: unknown) =>
            this.#log.error({ nodeId: node.id, error: errorMessage(error) }, 'simulated node could not restart'),
        );
      },
      downTimeMs * (0.5 + random()),
    );
    this.#restarts.add(timer);
  }

  /** No more crashes or restarts; nodes stay as they are. */
  stop(): void {
    this.#stopped = true;
    this.#tick?.cancel();
    for (const timer of this.#restarts) timer.cancel();
    this.#restarts.clear();
  }
}
