import type { Job } from '@dist-exec/core';
import { toMilliCpus, type NodeRecord } from '../nodes/node-record.js';
import type { FeasibleNodes, PlacementPolicy } from './policy.js';

/** Share of the node that is free, summed over slots, cpu and memory; a resource the node does not account counts as free (1). */
export function freeShare(node: NodeRecord): number {
  return (
    node.freeSlots / node.maxTasks +
    (node.milliCpus > 0 ? node.freeMilliCpus / node.milliCpus : 1) +
    (node.memoryBytes > 0 ? node.freeMemoryBytes / node.memoryBytes : 1)
  );
}

/** `freeShare` after placing a job needing one slot, `milliCpus` and `memoryBytes` there. */
export function leftoverShare(node: NodeRecord, milliCpus: number, memoryBytes: number): number {
  return (
    (node.freeSlots - 1) / node.maxTasks +
    (node.milliCpus > 0 ? (node.freeMilliCpus - milliCpus) / node.milliCpus : 1) +
    (node.memoryBytes > 0 ? (node.freeMemoryBytes - memoryBytes) / node.memoryBytes : 1)
  );
}

/**
 * The feasible node with the least left over after placement (`leftoverShare`),
 * ties to the earliest registered: packs jobs tightly and keeps large free
 * nodes for large jobs.
 */
export class BestFitPolicy implements PlacementPolicy {
  readonly name = 'best-fit';
  // Smallest totals of any node keyed so far: they bound how much one job can take off a node's share.
  #minSlots = Infinity;
  #minMilliCpus = Infinity;
  #minMemoryBytes = Infinity;

  key(node: NodeRecord): number {
    this.#minSlots = Math.min(this.#minSlots, node.maxTasks);
    if (node.milliCpus > 0) this.#minMilliCpus = Math.min(this.#minMilliCpus, node.milliCpus);
    if (node.memoryBytes > 0) this.#minMemoryBytes = Math.min(this.#minMemoryBytes, node.memoryBytes);
    return freeShare(node);
  }

  pick(job: Job, feasible: FeasibleNodes): NodeRecord | undefined {
    const cpu = toMilliCpus(job.spec.cpu);
    const memory = job.spec.memoryBytes;
    const most =
      1 / this.#minSlots + (cpu > 0 ? cpu / this.#minMilliCpus : 0) + (memory > 0 ? memory / this.#minMemoryBytes : 0);
    return feasible.lowest({
      score: (node) => leftoverShare(node, cpu, memory),
      // Rounding may differ between the two sums: keep the bound safely low.
      bound: (key) => key - most - 1e-9,
    });
  }
}
