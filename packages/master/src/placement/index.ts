import { InvalidArgumentError } from '@dist-exec/core';
import { BestFitPolicy } from './best-fit.js';
import { FirstFitPolicy } from './first-fit.js';
import { LeastConnectionsPolicy } from './least-connections.js';
import type { PlacementPolicy } from './policy.js';
import { RandomPolicy } from './random.js';
import { RoundRobinPolicy } from './round-robin.js';
import { WeightedRoundRobinPolicy } from './weighted-round-robin.js';

export * from './policy.js';
export { place } from './place.js';
export * from './filter.js';
export { explain } from './explain.js';
export { FeasibleList } from './feasible-list.js';
export { BestFitPolicy, freeShare, leftoverShare } from './best-fit.js';
export { FirstFitPolicy } from './first-fit.js';
export { LeastConnectionsPolicy } from './least-connections.js';
export { RandomPolicy } from './random.js';
export { RoundRobinPolicy } from './round-robin.js';
export { WeightedRoundRobinPolicy } from './weighted-round-robin.js';
export { PlacementIndex, MAX_SELECTORS } from './placement-index.js';
export { CapacityTree } from './capacity-tree.js';
export { roundUp32 } from './float32-bounds.js';

export interface PolicyDeps {
  /** Random numbers in [0, 1) for the random policy. @default Math.random */
  random?: () => number;
}

/** Adding a policy: one file implementing PlacementPolicy, and one line here. */
const POLICIES: Record<string, (deps: PolicyDeps) => PlacementPolicy> = {
  'round-robin': () => new RoundRobinPolicy(),
  'weighted-round-robin': () => new WeightedRoundRobinPolicy(),
  'least-connections': () => new LeastConnectionsPolicy(),
  random: (deps) => new RandomPolicy(deps.random),
  'first-fit': () => new FirstFitPolicy(),
  'best-fit': () => new BestFitPolicy(),
};

export const POLICY_NAMES = Object.keys(POLICIES);

export function createPolicy(name: string, deps: PolicyDeps = {}): PlacementPolicy {
  const factory = POLICIES[name];
  if (!factory) {
    throw new InvalidArgumentError(
      `--policy: unknown placement policy "${name}"; choose one of ${POLICY_NAMES.join(', ')}`,
      { field: 'policy' },
    );
  }
  return factory(deps);
}
