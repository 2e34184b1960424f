import { formatBytes } from '@dist-exec/core';
import { toMilliCpus, type NodeRecord } from '../nodes/node-record.js';
import { couldEverFit, matchesConstraints, type JobNeeds } from './filter.js';
import type { Unplaced } from './policy.js';

function cores(milli: number): number {
  return milli / 1000;
}

/**
 * Says in one sentence why no node can take the job, and whether any ever
 * could ('never': no registered node has the type, the labels or the total
 * capacity). `nodes` are the nodes that are not LOST. O(nodes): called when a
 * job cannot be placed, not per decision.
 */
export function explain(spec: JobNeeds, nodes: readonly NodeRecord[]): Unplaced {
  if (nodes.length === 0) return { type: 'wait', reason: 'no worker is registered' };
  const typed = nodes.filter((n) => n.capabilities.has(spec.type));
  if (typed.length === 0) return { type: 'never', reason: `no node offers task type "${spec.type}"` };
  const matching = typed.filter((n) => matchesConstraints(n, spec.constraints));
  if (matching.length === 0) {
    const wanted = Object.entries(spec.constraints)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ');
    return { type: 'never', reason: `no node has the labels ${wanted}` };
  }
  const cpu = toMilliCpus(spec.cpu);
  const sized = matching.filter((n) => couldEverFit(n, spec));
  if (sized.length === 0) {
    if (!matching.some((n) => n.milliCpus <= 0 || cpu <= n.milliCpus)) {
      const largest = Math.max(...matching.map((n) => n.milliCpus));
      return { type: 'never', reason: `no node has ${spec.cpu} cpus; the largest has ${cores(largest)}` };
    }
    if (!matching.some((n) => n.memoryBytes <= 0 || spec.memoryBytes <= n.memoryBytes)) {
      const largest = Math.max(...matching.map((n) => n.memoryBytes));
      return {
        type: 'never',
        reason: `no node has ${formatBytes(spec.memoryBytes)} of memory; the largest has ${formatBytes(largest)}`,
      };
    }
    return {
      type: 'never',
      reason: `no node has both ${spec.cpu} cpus and ${formatBytes(spec.memoryBytes)} of memory`,
    };
  }
  const alive = sized.filter((n) => n.health === 'HEALTHY' && !n.recovering);
  if (alive.length === 0) return { type: 'wait', reason: `all ${sized.length} suitable nodes are unhealthy` };
  const healthy = alive.filter((n) => n.available);
  if (healthy.length === 0) {
    const first = alive[0] as NodeRecord;
    return {
      type: 'wait',
      reason: `all ${alive.length} suitable nodes are out of reach for now (${first.id}: ${first.unavailableReason})`,
    };
  }
  const open = healthy.filter((n) => !n.draining);
  if (open.length === 0) return { type: 'wait', reason: `all ${healthy.length} suitable nodes are draining` };
  const withSlots = open.filter((n) => n.freeSlots > 0);
  if (withSlots.length === 0) {
    const slots = open.reduce((sum, n) => sum + n.maxTasks, 0);
    return { type: 'wait', reason: `all task slots are busy (${slots} of ${slots} on ${open.length} nodes)` };
  }
  const cpuFree = withSlots.filter((n) => cpu <= n.freeMilliCpus);
  if (cpuFree.length === 0) {
    const most = Math.max(...withSlots.map((n) => n.freeMilliCpus));
    return { type: 'wait', reason: `waiting for ${spec.cpu} free cpus; the most free on a node is ${cores(most)}` };
  }
  const memFree = withSlots.filter((n) => spec.memoryBytes <= n.freeMemoryBytes);
  if (memFree.length === 0) {
    const most = Math.max(...withSlots.map((n) => n.freeMemoryBytes));
    return {
      type: 'wait',
      reason: `waiting for ${formatBytes(spec.memoryBytes)} of free memory; the most free on a node is ${formatBytes(most)}`,
    };
  }
  return {
    type: 'wait',
    reason: `waiting for a node with both ${spec.cpu} free cpus and ${formatBytes(spec.memoryBytes)} of free memory (${cpuFree.length} have the cpus, ${memFree.length} the memory)`,
  };
}
