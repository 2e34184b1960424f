import type { Clock, Timer } from '@dist-exec/core';
import type { ProbeResult } from '@dist-exec/runtime';
import type { Logger } from 'pino';
import type { NodeRecord } from './node-record.js';
import type { NodeRegistry } from './registry.js';

export interface FailureDetectorOptions {
  registry: NodeRegistry;
  clock: Clock;
  logger: Logger;
  /** Asks the node's gRPC health service once (a boundary: tests may script it). */
  probe(address: string, timeoutMs: number): Promise<ProbeResult>;
  /** Deadline of one probe, in ms. */
  probeTimeoutMs: number;
  /** Longest delay between probes of a suspect node, in ms. */
  probeIntervalMs: number;
  /** Asks for a scheduler pass: a node cleared of suspicion may take work again. */
  kick(): void;
}

/**
 * What the detector concludes, for the parts built on it: the node manager
 * (a node that is down fails its attempts now) and the dispatcher (a node
 * reachable again gets its broken streams re-attached).
 */
export interface FailureVerdicts {
  /** A probe proved the node's process is gone. */
  down?(node: NodeRecord, why: string): void;
  /** A probe reached the node: it may take work again. */
  reachable?(node: NodeRecord): void;
}

export type ProbeVerdict = 'reachable' | 'down' | 'wait';

/** The first probes follow each other quickly: right after a failure they tell the most. */
const FIRST_REPROBE_MS = 100;

/** Delay before the probe after probe number `round` (0-based): 100ms, 400ms, 1.6s, ... up to `maxMs`. */
export function reprobeDelay(round: number, maxMs: number): number {
  return Math.min(FIRST_REPROBE_MS * 4 ** round, maxMs);
}

/**
 * What one probe of a suspect node means. Only a refused connection with no
 * heartbeat since the probe went out proves the worker is gone: a busy,
 * swapping or stopped worker still has its port open (the kernel accepts the
 * connection), so it only times out, and the heartbeat timeout decides.
 */
export function probeVerdict(result: ProbeResult, heardSinceProbe: boolean): ProbeVerdict {
  switch (result.type) {
    case 'serving':
      return 'reachable';
    case 'refused':
      return heardSinceProbe ? 'wait' : 'down';
    case 'not-serving':
    case 'no-answer':
    case 'error':
      return 'wait';
  }
}

/**
 * Notices failed nodes faster than the heartbeat timeout. A broken Execute
 * stream or a failed dispatch makes a node suspect at once: it gets no new
 * work, and the master probes it. The probe either clears the suspicion (the
 * node answers), declares the node down (nothing listens on its port any
 * more), or keeps it suspect and tries again, leaving the verdict to the
 * heartbeat timeout. Suspicion alone never fails an attempt, so a busy
 * machine costs some placement, never a false WORKER_LOST.
 */
export class FailureDetector {
  readonly #options: FailureDetectorOptions;
  readonly #log: Logger;
  readonly #timers = new Map<string, Timer>();
  #listeners: readonly FailureVerdicts[] = [];
  #stopped = false;

  constructor(options: FailureDetectorOptions) {
    this.#options = options;
    this.#log = options.logger.child({ component: 'failure-detector' });
  }

  /** Tells `listener` the verdicts from now on; returns the function that stops it. */
  subscribe(listener: FailureVerdicts): () => void {
    this.#listeners = [...this.#listeners, listener];
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
    };
  }

  /** Marks the node suspect (if it is not already) and starts probing it. */
  suspect(nodeId: string, why: string): void {
    const node = this.#options.registry.get(nodeId);
    if (this.#stopped || !node || node.suspectReason || node.health === 'LOST' || node.recovering || !node.address)
      return;
    this.#options.registry.suspect(node, why, this.#options.clock.now());
    this.#log.warn({ nodeId, why }, 'node suspect; probing it');
    this.#probe(node, node.suspectSinceMs, 0);
  }

  #probe(node: NodeRecord, since: number, round: number): void {
    const { clock, probe, probeTimeoutMs } = this.#options;
    const sentAtMs = clock.now();
    probe(node.address, probeTimeoutMs).then(
      (result) => this.#judge(node, since, round, sentAtMs, result),
      (error: unknown) => this.#judge(node, since, round, sentAtMs, { type: 'error', detail: String(error) }),
    );
  }

  #judge(node: NodeRecord, since: number, round: number, sentAtMs: number, result: ProbeResult): void {
    // The node left, registered anew, or was cleared meanwhile: this loop is over.
    if (this.#stopped || this.#options.registry.get(node.id) !== node || node.suspectSinceMs !== since) return;
    const verdict = probeVerdict(result, node.lastHeartbeatMs >= sentAtMs);
    if (verdict === 'reachable') {
      this.#options.registry.clearSuspicion(node);
      this.#log.info({ nodeId: node.id, suspectForMs: this.#options.clock.now() - since }, 'node reachable again');
      for (const listener of this.#listeners) listener.reachable?.(node);
      this.#options.kick();
      return;
    }
    if (verdict === 'down' && !node.declaredDown && node.health === 'HEALTHY') {
      const detail = result.type === 'refused' ? result.detail : '';
      const why = `node ${node.id} refuses connections at ${node.address} (${node.suspectReason}; ${detail})`;
      for (const listener of this.#listeners) listener.down?.(node, why);
    }
    if (node.health === 'LOST') return;
    // A dying process may still accept a connection it never serves: a probe can fail
    // without a refusal just before the port closes, so the next one comes soon.
    this.#log.debug({ nodeId: node.id, result: result.type, round }, 'probe did not clear the node');
    const delay = reprobeDelay(round, this.#options.probeIntervalMs);
    const timer = this.#options.clock.setTimeout(() => {
      this.#timers.delete(node.id);
      this.#probe(node, since, round + 1);
    }, delay);
    this.#timers.get(node.id)?.cancel();
    this.#timers.set(node.id, timer);
  }

  stop(): void {
    this.#stopped = true;
    for (const timer of this.#timers.values()) timer.cancel();
    this.#timers.clear();
  }
}
