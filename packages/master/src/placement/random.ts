import type { Job } from '@dist-exec/core';
import type { NodeRecord } from '../nodes/node-record.js';
import type { FeasibleNodes, PlacementPolicy } from './policy.js';

/** A feasible node drawn uniformly at random. The generator is injectable so tests can seed it. */
export class RandomPolicy implements PlacementPolicy {
  readonly name = 'random';
  readonly #random: () => number;

  constructor(random: () => number = Math.random) {
    this.#random = random;
  }

  pick(_job: Job, feasible: FeasibleNodes): NodeRecord | undefined {
    return feasible.sample(this.#random);
  }
}
