import type { Job } from '@dist-exec/core';
import type { NodeRecord } from '../nodes/node-record.js';
import type { FeasibleNodes, PlacementPolicy } from './policy.js';

/**
 * The first feasible node in registration order. Fills the earliest nodes
 * first and leaves the later ones idle (they can be scaled down).
 */
export class FirstFitPolicy implements PlacementPolicy {
  readonly name = 'first-fit';

  pick(_job: Job, feasible: FeasibleNodes): NodeRecord | undefined {
    return feasible.firstFrom(0);
  }
}
