export * from './config.js';
export { Simulation, ledgerCheck, type SimulationDeps } from './simulation.js';
export { Fleet, simulatedNodeId, startOffsets, type FleetOptions } from './fleet.js';
export { SimulatedNode, type SimulatedNodeOptions, type SimulatedNodeState } from './simulated-node.js';
export {
  SimulatedExecutor,
  ExecutionStats,
  SIMULATED_TASK_TYPE,
  type SimulatedExecutorOptions,
} from './simulated-executor.js';
export {
  FailureInjector,
  crashChancePerTick,
  FAILURE_TICK_MS,
  type FailureInjectorOptions,
} from './failure-injector.js';
export { JobLedger, LedgerStore, type LedgerCounts } from './job-ledger.js';
export {
  InProcessView,
  RemoteView,
  type ClusterCounts,
  type ClusterView,
  type JobCounts,
  type NodeCounts,
} from './cluster-view.js';
export { formatSnapshot, formatSummary, type Check, type Snapshot, type Summary } from './report.js';
