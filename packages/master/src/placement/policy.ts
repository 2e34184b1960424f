import { formatBytes, type Job, type JobSpec } from '@dist-exec/core';
import type { NodeRecord } from '../registry.js';

/**
 * Placement is filter, then pick: `place` keeps the nodes that can take the
 * job now, and a policy picks one of them. A policy only ranks; it never
 * decides feasibility, so no policy can over-commit a node.
 */
export interface PlacementPolicy {
  readonly name: string;
  /** Picks one of `feasible`, which is never empty and is in registration order. */
  pick(job: Job, feasible: readonly NodeRecord[]): NodeRecord;
}

/** Expected outcomes are values: placed now, wait for capacity, or never fits any node. */
export type Unplaced = { type: 'wait'; reason: string } | { type: 'never'; reason: string };
export type Placement = { type: 'placed'; node: NodeRecord } | Unplaced;

type JobNeeds = Pick<JobSpec, 'type' | 'cpu' | 'memoryBytes' | 'constraints'>;

function matchesConstraints(node: NodeRecord, constraints: Record<string, string>): boolean {
  for (const key in constraints) if (node.labels[key] !== constraints[key]) return false;
  return true;
}

/** Whether the node could run the job if it were idle (type, labels, total capacity). */
export function couldEverFit(node: NodeRecord, spec: JobNeeds): boolean {
  return (
    node.capabilities.has(spec.type) &&
    matchesConstraints(node, spec.constraints) &&
    (node.cpus <= 0 || spec.cpu <= node.cpus) &&
    (node.memoryBytes <= 0 || spec.memoryBytes <= node.memoryBytes)
  );
}

/** Whether the node can take the job right now. Nodes advertising 0 cpus or memory do not account it. */
export function fitsNow(node: NodeRecord, spec: JobNeeds): boolean {
  return (
    node.schedulable &&
    couldEverFit(node, spec) &&
    (node.cpus <= 0 || node.usedCpus + spec.cpu <= node.cpus + 1e-9) &&
    (node.memoryBytes <= 0 || node.usedMemoryBytes + spec.memoryBytes <= node.memoryBytes)
  );
}

/** Jobs with the same key fit the same nodes: if one waits, so do the others (within a pass). */
export function requirementKey(spec: JobNeeds): string {
  const constraints = Object.keys(spec.constraints).length ? JSON.stringify(Object.entries(spec.constraints).sort()) : '';
  return `${spec.type}|${spec.cpu}|${spec.memoryBytes}|${constraints}`;
}

export function place(job: Job, nodes: Iterable<NodeRecord>, policy: PlacementPolicy): Placement {
  const feasible: NodeRecord[] = [];
  const live: NodeRecord[] = [];
  for (const node of nodes) {
    if (node.health === 'LOST') continue;
    live.push(node);
    if (fitsNow(node, job.spec)) feasible.push(node);
  }
  if (feasible.length > 0) return { type: 'placed', node: policy.pick(job, avoidFailedNode(job, feasible)) };
  return explain(job.spec, live);
}

/**
 * The retry of an attempt whose node failed (WORKER_LOST) goes to another
 * node when one can take it: the failed one may fail again.
 */
export function avoidFailedNode(job: Job, feasible: NodeRecord[]): NodeRecord[] {
  const last = job.attemptHistory[job.attemptHistory.length - 1];
  if (!last || last.reason !== 'WORKER_LOST' || feasible.length < 2) return feasible;
  const others = feasible.filter((node) => node.id !== last.nodeId);
  return others.length > 0 ? others : feasible;
}

/** Says in one sentence why no node can take the job, and whether any ever could. */
export function explain(spec: JobNeeds, nodes: readonly NodeRecord[]): Unplaced {
  if (nodes.length === 0) return { type: 'wait', reason: 'no worker is registered' };
  const typed = nodes.filter((n) => n.capabilities.has(spec.type));
  if (typed.length === 0) return { type: 'never', reason: `no node offers task type "${spec.type}"` };
  const matching = typed.filter((n) => matchesConstraints(n, spec.constraints));
  if (matching.length === 0) {
    const wanted = Object.entries(spec.constraints).map(([k, v]) => `${k}=${v}`).join(', ');
    return { type: 'never', reason: `no node has the labels ${wanted}` };
  }
  const sized = matching.filter((n) => couldEverFit(n, spec));
  if (sized.length === 0) {
    if (spec.cpu > 0 && !matching.some((n) => n.cpus <= 0 || spec.cpu <= n.cpus)) {
      const largest = Math.max(...matching.map((n) => n.cpus));
      return { type: 'never', reason: `no node has ${spec.cpu} cpus; the largest has ${largest}` };
    }
    const largest = Math.max(...matching.map((n) => n.memoryBytes));
    return { type: 'never', reason: `no node has ${formatBytes(spec.memoryBytes)} of memory; the largest has ${formatBytes(largest)}` };
  }
  const alive = sized.filter((n) => n.health === 'HEALTHY' && !n.recovering);
  if (alive.length === 0) return { type: 'wait', reason: `all ${sized.length} suitable nodes are unhealthy` };
  const healthy = alive.filter((n) => n.available);
  if (healthy.length === 0) {
    const first = alive[0] as NodeRecord;
    return { type: 'wait', reason: `all ${alive.length} suitable nodes are out of reach for now (${first.id}: ${first.unavailableReason})` };
  }
  const open = healthy.filter((n) => !n.draining);
  if (open.length === 0) return { type: 'wait', reason: `all ${healthy.length} suitable nodes are draining` };
  const withSlots = open.filter((n) => n.freeSlots > 0);
  if (withSlots.length === 0) {
    const slots = open.reduce((sum, n) => sum + n.maxTasks, 0);
    return { type: 'wait', reason: `all task slots are busy (${slots} of ${slots} on ${open.length} nodes)` };
  }
  if (spec.cpu > 0 && !withSlots.some((n) => n.cpus <= 0 || n.usedCpus + spec.cpu <= n.cpus)) {
    const free = Math.max(...withSlots.map((n) => n.cpus - n.usedCpus));
    return { type: 'wait', reason: `waiting for ${spec.cpu} free cpus; the most free on a node is ${Number(free.toFixed(2))}` };
  }
  const free = Math.max(...withSlots.map((n) => n.memoryBytes - n.usedMemoryBytes));
  return { type: 'wait', reason: `waiting for ${formatBytes(spec.memoryBytes)} of free memory; the most free on a node is ${formatBytes(free)}` };
}
