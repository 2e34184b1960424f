export { FakeClock } from './fake-clock.js';
export { until, type UntilOptions } from './until.js';
export { testLogger } from './logger.js';
export { startTestCluster, type TestCluster, type TestClusterOptions } from './test-cluster.js';
export * from './processes.js';
export * from './http.js';
export { attemptResult } from './results.js';
export { seededRandom } from './seeded-random.js';
export { cgroupsUnavailable } from './isolation.js';
