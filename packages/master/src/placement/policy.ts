import type { Job } from '@dist-exec/core';
import type { NodeRecord } from '../nodes/node-record.js';

/**
 * Placement is filter, then pick. The filter (`fitsNow`) decides which nodes
 * can take a job; a policy only chooses among them, through `FeasibleNodes`,
 * which never shows it a node that failed the filter. So no policy can
 * over-commit a node, and adding one cannot break feasibility.
 */
export interface PlacementPolicy {
  readonly name: string;
  /**
   * The per-node key `FeasibleNodes.lowest()` ranks by (lower is better), for
   * policies that rank nodes. The index re-reads it whenever a node changes,
   * so it must depend only on the node and on the policy's own state.
   */
  key?(node: NodeRecord): number;
  /**
   * Chooses one of the feasible nodes; undefined exactly when there is none.
   * The index does not check for one first: the policy's own query answers
   * that, so a decision costs one query, not two.
   */
  pick(job: Job, feasible: FeasibleNodes): NodeRecord | undefined;
  /** The job was placed on `node` (advance a cursor, charge a share). */
  placed?(job: Job, node: NodeRecord): void;
}

/**
 * The nodes that can take a job now, as a policy may query them. Backed by a
 * plain list (`FeasibleList`) or by the placement index, with the same answers.
 */
export interface FeasibleNodes {
  /** The first feasible node in registration order whose `order` is at least `fromOrder`. */
  firstFrom(fromOrder: number): NodeRecord | undefined;
  /** The feasible node with the lowest score (by default the policy's key); ties go to the earliest registered. Undefined if none. */
  lowest(rank?: Rank): NodeRecord | undefined;
  /** A feasible node drawn uniformly at random; `random` returns a number in [0, 1). Undefined if none. */
  sample(random: () => number): NodeRecord | undefined;
}

/** Ranks feasible nodes for one job, when the policy's key alone does not. */
export interface Rank {
  /** Lower is better. `key` is the policy's key of the node. */
  score(node: NodeRecord, key: number): number;
  /** A lower bound of `score` over every node whose key is at least `key`; lets the index skip whole ranges. */
  bound(key: number): number;
}

/** Expected outcomes are values: placed now, wait for capacity, or never fits any node. */
export type Unplaced = { type: 'wait'; reason: string } | { type: 'never'; reason: string };
export type Placement = { type: 'placed'; node: NodeRecord } | Unplaced;
