import type { Job } from '@dist-exec/core';
import type { NodeRecord } from '../nodes/node-record.js';
import type { FeasibleNodes, PlacementPolicy } from './policy.js';

/**
 * Round-robin in proportion to each node's `--weight`, as stride scheduling:
 * every node has a pass value, the feasible node with the lowest pass gets
 * the job and its pass grows by 1/weight. A node of weight 3 thus takes three
 * jobs for every one a node of weight 1 takes, interleaved rather than in
 * bursts. A node that was away (full, draining, new) starts from the current
 * virtual time, so it gets at most one job ahead of its share on return.
 */
export class WeightedRoundRobinPolicy implements PlacementPolicy {
  readonly name = 'weighted-round-robin';
  readonly #pass = new WeakMap<NodeRecord, number>();
  #virtualTime = 0;

  key(node: NodeRecord): number {
    return this.#pass.get(node) ?? this.#virtualTime;
  }

  pick(_job: Job, feasible: FeasibleNodes): NodeRecord | undefined {
    return feasible.lowest();
  }

  placed(_job: Job, node: NodeRecord): void {
    const start = Math.max(this.#pass.get(node) ?? this.#virtualTime, this.#virtualTime);
    this.#virtualTime = start;
    this.#pass.set(node, start + 1 / Math.max(1, node.weight));
  }
}
