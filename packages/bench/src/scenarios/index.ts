import type { Scenario } from '../scenario.js';
import { failover } from './failover.js';
import { spawnBaseline } from './spawn-baseline.js';

/** In run order: baselines first, so later figures can be compared with them. */
export const SCENARIOS: Scenario[] = [spawnBaseline, failover];
