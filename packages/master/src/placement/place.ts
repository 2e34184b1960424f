import type { Job } from '@dist-exec/core';
import type { NodeRecord } from '../nodes/node-record.js';
import { explain } from './explain.js';
import { FeasibleList } from './feasible-list.js';
import { fitsNow, nodeToAvoid } from './filter.js';
import type { Placement, PlacementPolicy } from './policy.js';

/**
 * Reference placement over a list of nodes: O(nodes) per decision. The
 * scheduler uses the `PlacementIndex`, which gives the same answers faster;
 * this one is what tests compare it with.
 */
export function place(job: Job, nodes: Iterable<NodeRecord>, policy: PlacementPolicy): Placement {
  const feasible: NodeRecord[] = [];
  const live: NodeRecord[] = [];
  for (const node of nodes) {
    if (node.health === 'LOST') continue;
    live.push(node);
    if (fitsNow(node, job.spec)) feasible.push(node);
  }
  if (feasible.length === 0) return explain(job.spec, live);
  const avoid = nodeToAvoid(job);
  const others = avoid ? feasible.filter((node) => node.id !== avoid) : feasible;
  const node = policy.pick(job, new FeasibleList(others.length > 0 ? others : feasible, policy));
  if (node === undefined) throw new Error(`policy ${policy.name} picked no node of ${feasible.length} feasible`);
  policy.placed?.(job, node);
  return { type: 'placed', node };
}
