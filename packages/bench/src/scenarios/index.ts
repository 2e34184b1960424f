import type { Scenario } from '../scenario.js';
import { authCost } from './auth-cost.js';
import { dashboardSearch } from './dashboard-search.js';
import { dispatchThroughput } from './dispatch-throughput.js';
import { e2eLatency } from './e2e-latency.js';
import { e2eThroughput } from './e2e-throughput.js';
import { failover } from './failover.js';
import { failoverMasters } from './failover-masters.js';
import { grpcBaseline } from './grpc-baseline.js';
import { heartbeatCost } from './heartbeat-cost.js';
import { history } from './history.js';
import { jsonFlood } from './json-flood.js';
import { memory } from './memory.js';
import { observability } from './observability.js';
import { outputFlood } from './output-flood.js';
import { scheduler } from './scheduler.js';
import { soak } from './soak.js';
import { spawnBaseline } from './spawn-baseline.js';
import { spawnPaths } from './spawn-paths.js';
import { submitThroughput } from './submit-throughput.js';
import { tlsCost } from './tls-cost.js';

/** In run order: baselines first, so later figures can be compared with them. */
export const SCENARIOS: Scenario[] = [
  spawnBaseline,
  grpcBaseline,
  spawnPaths,
  submitThroughput,
  e2eThroughput,
  e2eLatency,
  dispatchThroughput,
  authCost,
  tlsCost,
  scheduler,
  memory,
  outputFlood,
  failover,
  failoverMasters,
  heartbeatCost,
  observability,
  history,
  dashboardSearch,
  jsonFlood,
  soak,
];
