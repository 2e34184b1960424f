import { currentAttempt, parseAttemptKey, type AttemptRef } from '@dist-exec/core';
import type { Logger } from 'pino';
import type { ClusterState } from '../cluster-state.js';
import type { NodeHealth, HealthTimeouts } from '../nodes/health.js';
import type { NodeRecord } from '../nodes/node-record.js';
import type { NodeRegistry } from '../nodes/registry.js';

/** How the rescheduler stops an attempt on its node (the dispatcher). */
export interface AttemptStopper {
  /** Asks the node to kill the attempt; failures are only logged (the next heartbeat reconciles). */
  stopAttempt(ref: AttemptRef, nodeId: string): void;
}

export interface ReschedulerOptions extends HealthTimeouts {
  cluster: ClusterState;
  registry: NodeRegistry;
  stopper: AttemptStopper;
  logger: Logger;
  /** Give a node's attempts to other nodes when it turns UNHEALTHY, or only once it is LOST. */
  rescheduleOn: 'unhealthy' | 'lost';
}

/**
 * The rescheduler (DESIGN.md, "Controllers"): what becomes of the attempts on
 * a node that fails, leaves or misses its drain deadline. Each attempt ends
 * WORKER_LOST through ClusterState, which requeues it if the job allows (see
 * RetryController); an attempt that never started there costs no retry. The
 * node manager tells it what happened to a node; it decides what that means
 * for the attempts.
 */
export class Rescheduler {
  readonly #options: ReschedulerOptions;
  readonly #cluster: ClusterState;
  readonly #log: Logger;

  constructor(options: ReschedulerOptions) {
    this.#options = options;
    this.#cluster = options.cluster;
    this.#log = options.logger.child({ component: 'rescheduler' });
  }

  /** Silence after which a node's attempts are given to other nodes. */
  get rescheduleAfterMs(): number {
    return this.#options.rescheduleOn === 'lost' ? this.#options.nodeLostTimeoutMs : this.#options.heartbeatTimeoutMs;
  }

  /**
   * The node's health changed to `health` (because `why`). Its attempts fail
   * once it is out of reach for good (LOST, or UNHEALTHY when rescheduling
   * on unhealthy), and it is asked to kill them in case it is alive but cut
   * off. A LOST node's reservations are freed: it holds nothing any more.
   */
  healthChanged(node: NodeRecord, health: NodeHealth, why: string): void {
    if (health === 'LOST' || (health === 'UNHEALTHY' && this.#options.rescheduleOn === 'unhealthy')) {
      this.#loseAttempts(node, why, false, true);
    }
    if (health === 'LOST') {
      for (const key of [...node.reservations.keys()]) this.#cluster.release(parseAttemptKey(key), node.id);
    }
  }

  /**
   * The worker left (it deregistered, or its token was revoked): attempts it
   * still holds are handed back (they do not use up a retry). With `stop` it
   * is also asked to kill them (a worker no longer trusted).
   */
  nodeLeft(node: NodeRecord, why: string, options: { stop?: boolean } = {}): void {
    this.#loseAttempts(node, why, true, options.stop ?? false);
  }

  /** A node known only from the store did not register again in time after a master restart. */
  nodeNeverReturned(node: NodeRecord, why: string): void {
    this.#loseAttempts(node, why, false);
  }

  /** A drain deadline passed: the node's attempts go back to the queue (free) and are stopped there. */
  drainDeadlinePassed(node: NodeRecord): void {
    this.#options.registry.drain(node, 0);
    for (const key of node.reservations.keys()) {
      const ref = parseAttemptKey(key);
      if (this.#cluster.attemptLost(ref, node.id, 'WORKER_LOST', `drain deadline of node ${node.id} passed`, true)) {
        this.#options.stopper.stopAttempt(ref, node.id);
      }
    }
    this.#log.info({ nodeId: node.id }, 'drain deadline passed; attempts handed back');
  }

  /**
   * Fails the current attempts on the node. An attempt that never started is
   * free. With `stop`, also asks the node to kill them; if that does not get
   * through, the node learns it when it heartbeats again (reconciliation).
   */
  #loseAttempts(node: NodeRecord, error: string, free: boolean, stop = false): void {
    for (const key of node.reservations.keys()) {
      const ref = parseAttemptKey(key);
      const job = this.#cluster.currentJob(ref, node.id);
      if (!job) continue;
      const started = currentAttempt(job)?.startedAtMs != null;
      if (this.#cluster.attemptLost(ref, node.id, 'WORKER_LOST', error, free || !started) && stop)
        this.#options.stopper.stopAttempt(ref, node.id);
    }
  }
}
