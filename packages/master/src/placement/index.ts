import { InvalidArgumentError } from '@dist-exec/core';
import { LeastConnectionsPolicy } from './least-connections.js';
import type { PlacementPolicy } from './policy.js';
import { RoundRobinPolicy } from './round-robin.js';

export * from './policy.js';

/** Adding a policy: one file implementing PlacementPolicy, and one line here. */
const POLICIES: Record<string, () => PlacementPolicy> = {
  'round-robin': () => new RoundRobinPolicy(),
  'least-connections': () => new LeastConnectionsPolicy(),
};

export const POLICY_NAMES = Object.keys(POLICIES);

export function createPolicy(name: string): PlacementPolicy {
  const factory = POLICIES[name];
  if (!factory) {
    throw new InvalidArgumentError(`--policy: unknown placement policy "${name}"; choose one of ${POLICY_NAMES.join(', ')}`, { field: 'policy' });
  }
  return factory();
}
