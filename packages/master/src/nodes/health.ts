/** A node's health as the master derives it from time: see `healthAfter`. */
export type NodeHealth = 'HEALTHY' | 'UNHEALTHY' | 'LOST';

export interface HealthTimeouts {
  /** Silence after which a node is UNHEALTHY, in ms. */
  heartbeatTimeoutMs: number;
  /** Silence after which a node is LOST, in ms. */
  nodeLostTimeoutMs: number;
}

/** Health is a pure function of how long a node has been silent. */
export function healthAfter(silentMs: number, timeouts: HealthTimeouts): NodeHealth {
  if (silentMs >= timeouts.nodeLostTimeoutMs) return 'LOST';
  if (silentMs >= timeouts.heartbeatTimeoutMs) return 'UNHEALTHY';
  return 'HEALTHY';
}

/** Health from the time of the last heartbeat. */
export function healthAt(lastHeartbeatMs: number, nowMs: number, timeouts: HealthTimeouts): NodeHealth {
  return healthAfter(nowMs - lastHeartbeatMs, timeouts);
}
