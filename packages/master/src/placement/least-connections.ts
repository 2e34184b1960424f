import type { Job } from '@dist-exec/core';
import type { NodeRecord } from '../nodes/node-record.js';
import type { FeasibleNodes, PlacementPolicy } from './policy.js';

/**
 * The feasible node running the fewest tasks; among equals the one with the
 * most of its slots free, then the earliest registered.
 */
export class LeastConnectionsPolicy implements PlacementPolicy {
  readonly name = 'least-connections';

  /** Running tasks, plus the busy share of slots as a tie-breaker (below 1 on any node with a free slot). */
  key(node: NodeRecord): number {
    return node.activeTasks + node.activeTasks / node.maxTasks;
  }

  pick(_job: Job, feasible: FeasibleNodes): NodeRecord | undefined {
    return feasible.lowest();
  }
}
