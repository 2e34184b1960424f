import type { Job } from '@dist-exec/core';
import type { NodeRecord } from '../registry.js';
import type { PlacementPolicy } from './policy.js';

/** Cycles through nodes in registration order, skipping those that cannot take the job. */
export class RoundRobinPolicy implements PlacementPolicy {
  readonly name = 'round-robin';
  #lastOrder = -1;

  pick(_job: Job, feasible: readonly NodeRecord[]): NodeRecord {
    const next = feasible.find((n) => n.order > this.#lastOrder) ?? (feasible[0] as NodeRecord);
    this.#lastOrder = next.order;
    return next;
  }
}
