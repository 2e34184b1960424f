import type { Job } from '@dist-exec/core';
import type { NodeRecord } from '../nodes/node-record.js';
import type { FeasibleNodes, PlacementPolicy } from './policy.js';

/**
 * Cycles through the nodes in registration order: the next feasible node
 * after the one that got the last job, wrapping around. Nodes that cannot
 * take a job are skipped without losing their turn for the next one.
 */
export class RoundRobinPolicy implements PlacementPolicy {
  readonly name = 'round-robin';
  #lastOrder = -1;

  pick(_job: Job, feasible: FeasibleNodes): NodeRecord | undefined {
    return feasible.firstFrom(this.#lastOrder + 1) ?? feasible.firstFrom(0);
  }

  placed(_job: Job, node: NodeRecord): void {
    this.#lastOrder = node.order;
  }
}
