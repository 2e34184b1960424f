import type { Job, JobSpec } from '@dist-exec/core';
import { toMilliCpus, type NodeRecord } from '../nodes/node-record.js';

/** What a job needs from a node: the filter's input. */
export type JobNeeds = Pick<JobSpec, 'type' | 'cpu' | 'memoryBytes' | 'constraints'>;

export function matchesConstraints(node: NodeRecord, constraints: Readonly<Record<string, string>>): boolean {
  const labels = node.labels;
  for (const key in constraints) if (labels[key] !== constraints[key]) return false;
  return true;
}

/** Whether the node offers the job's executor type and has every label it requires. */
export function matchesSelector(node: NodeRecord, spec: Pick<JobSpec, 'type' | 'constraints'>): boolean {
  return node.capabilities.has(spec.type) && matchesConstraints(node, spec.constraints);
}

/** Whether the node could run the job if it were idle (type, labels, total capacity). */
export function couldEverFit(node: NodeRecord, spec: JobNeeds): boolean {
  return (
    matchesSelector(node, spec) &&
    (node.milliCpus <= 0 || toMilliCpus(spec.cpu) <= node.milliCpus) &&
    (node.memoryBytes <= 0 || spec.memoryBytes <= node.memoryBytes)
  );
}

/**
 * The filter: whether the node can take the job right now. Cpu is counted in
 * whole millicores and memory in bytes, so the account is exact; a node that
 * advertises 0 cpus or 0 memory does not account that resource.
 */
export function fitsNow(node: NodeRecord, spec: JobNeeds): boolean {
  return (
    node.schedulable &&
    matchesSelector(node, spec) &&
    toMilliCpus(spec.cpu) <= node.freeMilliCpus &&
    spec.memoryBytes <= node.freeMemoryBytes
  );
}

/** Jobs with the same selector key can run on the same nodes, resources aside. */
export function selectorKey(spec: Pick<JobSpec, 'type' | 'constraints'>): string {
  const keys = Object.keys(spec.constraints);
  if (keys.length === 0) return spec.type;
  return `${spec.type}|${JSON.stringify(keys.sort().map((k) => [k, spec.constraints[k]]))}`;
}

/** Jobs with the same requirement key fit the same nodes: if one waits, so do the others (within a pass). */
export function requirementKey(spec: JobNeeds): string {
  return `${selectorKey(spec)}|${toMilliCpus(spec.cpu)}|${spec.memoryBytes}`;
}

/**
 * The id of the node a job's next attempt should avoid, or '': the retry of
 * an attempt whose node failed (WORKER_LOST) goes to another node when one
 * can take it, since the failed one may fail again.
 */
export function nodeToAvoid(job: Job): string {
  const last = job.attemptHistory[job.attemptHistory.length - 1];
  return last && last.reason === 'WORKER_LOST' ? last.nodeId : '';
}
