import type { NodeRecord } from '../nodes/node-record.js';
import type { FeasibleNodes, PlacementPolicy, Rank } from './policy.js';

/** `FeasibleNodes` over a list already filtered, in registration order: every query is a scan. */
export class FeasibleList implements FeasibleNodes {
  readonly #nodes: readonly NodeRecord[];
  readonly #policy: Pick<PlacementPolicy, 'key'>;

  constructor(nodes: readonly NodeRecord[], policy: Pick<PlacementPolicy, 'key'> = {}) {
    this.#nodes = nodes;
    this.#policy = policy;
  }

  firstFrom(fromOrder: number): NodeRecord | undefined {
    return this.#nodes.find((node) => node.order >= fromOrder);
  }

  lowest(rank?: Rank): NodeRecord | undefined {
    let best = this.#nodes[0];
    let bestScore = Infinity;
    for (const node of this.#nodes) {
      const key = this.#policy.key?.(node) ?? 0;
      const score = rank ? rank.score(node, key) : key;
      if (score < bestScore || (score === bestScore && node.order < (best as NodeRecord).order)) {
        best = node;
        bestScore = score;
      }
    }
    return best;
  }

  sample(random: () => number): NodeRecord | undefined {
    return this.#nodes[Math.min(this.#nodes.length - 1, Math.floor(random() * this.#nodes.length))];
  }
}
