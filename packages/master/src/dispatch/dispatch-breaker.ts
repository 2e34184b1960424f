import type { Clock, Timer } from '@dist-exec/core';
import type { Logger } from 'pino';
import type { NodeRecord } from '../nodes/node-record.js';
import type { NodeRegistry } from '../nodes/registry.js';

export interface BreakerOptions {
  /** Consecutive failed dispatches to a node that make the master skip it. @default 3 */
  failureThreshold: number;
  /** How long a node is skipped the first time, in ms; doubled each time its trial dispatch fails. @default 30000 */
  openMs: number;
  /** Longest a node is skipped at once, in ms. @default 300000 */
  maxOpenMs: number;
}

export const DEFAULT_BREAKER_OPTIONS: BreakerOptions = { failureThreshold: 3, openMs: 30_000, maxOpenMs: 300_000 };

export type BreakerState = 'closed' | 'open' | 'half-open';

/**
 * A circuit breaker over dispatches to one node, as a pure state machine of
 * the times it is given. closed: dispatches go; `failureThreshold` failures
 * in a row open it. open: the node is skipped until `openUntilMs`; then
 * half-open: one trial dispatch goes, whose success closes the breaker and
 * whose failure opens it again for twice as long (up to `maxOpenMs`).
 */
export class CircuitBreaker {
  state: BreakerState = 'closed';
  failures = 0;
  openUntilMs = 0;
  /** Set while the half-open trial dispatch is on its way. */
  trialInFlight = false;
  #openPeriodMs: number;
  readonly #options: BreakerOptions;

  constructor(options: BreakerOptions) {
    this.#options = options;
    this.#openPeriodMs = options.openMs;
  }

  /** Whether a dispatch may go now (moves open → half-open once the period is over). */
  allows(nowMs: number): boolean {
    if (this.state === 'open' && nowMs >= this.openUntilMs) this.state = 'half-open';
    if (this.state === 'half-open') return !this.trialInFlight;
    return this.state === 'closed';
  }

  /** A dispatch is on its way (the half-open trial, when half-open). */
  dispatched(): void {
    if (this.state === 'half-open') this.trialInFlight = true;
  }

  /** Returns true when this failure opened the breaker. */
  failure(nowMs: number): boolean {
    this.failures += 1;
    if (this.state === 'half-open') {
      this.#openPeriodMs = Math.min(this.#options.maxOpenMs, this.#openPeriodMs * 2);
      return this.#open(nowMs);
    }
    if (this.state === 'closed' && this.failures >= this.#options.failureThreshold) return this.#open(nowMs);
    return false;
  }

  success(): void {
    this.state = 'closed';
    this.failures = 0;
    this.trialInFlight = false;
    this.#openPeriodMs = this.#options.openMs;
  }

  #open(nowMs: number): true {
    this.state = 'open';
    this.trialInFlight = false;
    this.openUntilMs = nowMs + this.#openPeriodMs;
    return true;
  }
}

interface BreakerEntry {
  breaker: CircuitBreaker;
  timer: Timer | null;
}

export interface DispatchBreakersOptions {
  /** Where a node's breaker shows (`skip`), so placement skips an open node. */
  registry: NodeRegistry;
  clock: Clock;
  logger: Logger;
  breaker: BreakerOptions;
  /** Asks for a scheduler pass: a skipped node may take work again. */
  kick(): void;
}

/**
 * One breaker per node, reflected in the node's `skipReason` (through the
 * registry) so placement skips an open node; a timer lets it back in
 * (half-open) when its period is over, and asks for a scheduler pass.
 */
export class DispatchBreakers {
  readonly #breakers = new Map<string, BreakerEntry>();
  readonly #registry: NodeRegistry;
  readonly #options: BreakerOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #kick: () => void;

  constructor(options: DispatchBreakersOptions) {
    this.#registry = options.registry;
    this.#options = options.breaker;
    this.#clock = options.clock;
    this.#log = options.logger.child({ component: 'breaker' });
    this.#kick = options.kick;
  }

  state(nodeId: string): BreakerState {
    return this.#breakers.get(nodeId)?.breaker.state ?? 'closed';
  }

  /** An attempt is being sent to the node. */
  dispatched(node: NodeRecord): void {
    const entry = this.#breakers.get(node.id);
    if (!entry || entry.breaker.state !== 'half-open') return;
    entry.breaker.dispatched();
    // One trial at a time: nothing more goes there until it answers.
    this.#registry.skip(node, `${entry.breaker.failures} dispatches in a row failed; waiting for a trial dispatch`);
  }

  failure(node: NodeRecord, error: string): void {
    let entry = this.#breakers.get(node.id);
    if (!entry) {
      entry = { breaker: new CircuitBreaker(this.#options), timer: null };
      this.#breakers.set(node.id, entry);
    }
    const now = this.#clock.now();
    if (!entry.breaker.failure(now)) return;
    const { breaker } = entry;
    const skipMs = breaker.openUntilMs - now;
    this.#registry.skip(
      node,
      `${breaker.failures} dispatches in a row failed (last: ${error}); skipped until ${new Date(breaker.openUntilMs).toISOString()}`,
    );
    this.#log.warn(
      { nodeId: node.id, failures: breaker.failures, skipMs, error },
      'skipping node after repeated dispatch failures',
    );
    entry.timer?.cancel();
    this.#reopenAfter(node, entry, skipMs);
  }

  /**
   * Lets the node back in (half-open) once its period is over. Node's timers
   * run on a monotonic clock that may lag the wall clock the period was
   * measured on, so a timer can fire a little before the period's end: it is
   * set again for the rest, or the node would stay skipped for good.
   */
  #reopenAfter(node: NodeRecord, entry: BreakerEntry, ms: number): void {
    const { breaker } = entry;
    entry.timer = this.#clock.setTimeout(() => {
      if (this.#breakers.get(node.id) !== entry) return;
      entry.timer = null;
      const now = this.#clock.now();
      if (breaker.allows(now)) {
        this.#registry.stopSkipping(node);
        this.#log.info({ nodeId: node.id }, 'trying a skipped node again');
        this.#kick();
      } else if (breaker.state === 'open') {
        this.#reopenAfter(node, entry, Math.max(1, breaker.openUntilMs - now));
      }
    }, ms);
  }

  success(node: NodeRecord): void {
    const entry = this.#breakers.get(node.id);
    if (!entry) return;
    entry.timer?.cancel();
    this.#breakers.delete(node.id);
    if (entry.breaker.state !== 'closed') this.#log.info({ nodeId: node.id }, 'node takes dispatches again');
    if (node.skipReason) {
      this.#registry.stopSkipping(node);
      this.#kick();
    }
  }

  /** The node left: forget its breaker. */
  forget(nodeId: string): void {
    this.#breakers.get(nodeId)?.timer?.cancel();
    this.#breakers.delete(nodeId);
  }

  /** The node registered anew: start from a clean slate, and stop skipping it. */
  nodeRegistered(nodeId: string): void {
    this.forget(nodeId);
    const node = this.#registry.get(nodeId);
    if (node?.skipReason) this.#registry.stopSkipping(node);
  }

  stop(): void {
    for (const entry of this.#breakers.values()) entry.timer?.cancel();
    this.#breakers.clear();
  }
}
