// The nodes box: what the master knows of its workers (the registry, the one writer of their
// records), how it hears from them (registration, heartbeats) and how it judges their health.
export { healthAfter, healthAt, type HealthTimeouts, type NodeHealth } from './health.js';
export { toMilliCpus, type NodeRecord, type Reservation } from './node-record.js';
export { checkRegistration, type NodeRegistration } from './registration.js';
export { NodeRegistry, type NodeChange, type NodeListener } from './registry.js';
export { NodeManager, type AttemptLinks, type NodeManagerOptions, type Reconciliation } from './node-manager.js';
export {
  FailureDetector,
  probeVerdict,
  reprobeDelay,
  type FailureDetectorOptions,
  type FailureVerdicts,
  type ProbeVerdict,
} from './failure-detector.js';
export { HeartbeatStreams, type AnswerHeartbeat, type HeartbeatCall } from './heartbeat-streams.js';
export { PauseLedger } from './pause-ledger.js';
