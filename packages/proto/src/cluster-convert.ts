import { emptyJobCounts, JOB_STATES, type ClusterSnapshot, type JobState } from '@dist-exec/core';
import { nodeFromWire, nodeToWire, num } from './convert.js';
import type * as wire from './wire.js';

export function clusterToWire(snapshot: ClusterSnapshot): wire.ClusterStatus {
  return {
    atMs: snapshot.atMs,
    masterId: snapshot.masterId,
    jobsByState: { ...snapshot.jobs },
    queueByPriority: snapshot.queueByPriority.map((p) => ({ priority: p.priority, count: p.count })),
    nodes: snapshot.nodes.map(nodeToWire),
    masters: (snapshot.masters ?? []).map((m) => ({
      id: m.id,
      address: m.address,
      leader: m.leader,
      epoch: m.epoch,
      leaderSinceMs: m.leaderSinceMs,
      leaseAgeMs: m.leaseAgeMs,
    })),
  };
}

export function clusterFromWire(status: wire.ClusterStatus__Output): ClusterSnapshot {
  const jobs = emptyJobCounts();
  for (const [state, count] of Object.entries(status.jobsByState)) {
    // A newer master may know states this client does not: they are left out.
    if ((JOB_STATES as readonly string[]).includes(state)) jobs[state as JobState] = num(count);
  }
  return {
    atMs: num(status.atMs),
    masterId: status.masterId,
    jobs,
    queueByPriority: status.queueByPriority.map((p) => ({ priority: p.priority, count: num(p.count) })),
    nodes: status.nodes.map(nodeFromWire),
    masters: status.masters.map((m) => ({
      id: m.id,
      address: m.address,
      leader: m.leader,
      epoch: num(m.epoch),
      leaderSinceMs: num(m.leaderSinceMs),
      leaseAgeMs: num(m.leaseAgeMs),
    })),
  };
}
