import type { Job } from '@dist-exec/core';
import type { NodeRecord } from '../registry.js';
import type { PlacementPolicy } from './policy.js';

/** Picks the node running the fewest tasks, relative to its slots; ties go to the earliest registered. */
export class LeastConnectionsPolicy implements PlacementPolicy {
  readonly name = 'least-connections';

  pick(_job: Job, feasible: readonly NodeRecord[]): NodeRecord {
    let best = feasible[0] as NodeRecord;
    for (const node of feasible) {
      const load = node.activeTasks / node.maxTasks;
      const bestLoad = best.activeTasks / best.maxTasks;
      if (node.activeTasks < best.activeTasks || (node.activeTasks === best.activeTasks && load < bestLoad)) best = node;
    }
    return best;
  }
}
