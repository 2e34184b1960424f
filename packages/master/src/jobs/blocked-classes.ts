import { fitsNow, type JobNeeds } from '../placement/index.js';
import { toMilliCpus, type NodeRecord } from '../nodes/node-record.js';

/**
 * The requirement classes the scheduler found it cannot place, kept across
 * passes until a node changes so that it could take one of them; and every
 * class they imply: a class that asks for the same executor type, at least
 * as much cpu and memory and at least the same labels as a blocked one is
 * blocked too. A pass skips blocked classes without asking the placement
 * index, so after a job ends it tries only the classes the freed capacity
 * could serve, not every class in the queue.
 *
 * Sound as long as every change that can make room (a release, a node that
 * joins, recovers, is undrained or changes its labels) reaches `nodeChanged`:
 * the registry reports all of them, as the placement index needs too.
 */
export class BlockedClasses {
  /** Classes that failed to place, with their needs. */
  readonly #failed = new Map<string, JobNeeds>();
  #version = 0;

  /** Changes whenever an answer of `has` may change (the queue caches answers until then). */
  get version(): number {
    return this.#version;
  }

  get size(): number {
    return this.#failed.size;
  }

  /** Jobs of class `cls` (needs `spec`) cannot be placed now. */
  add(cls: string, spec: JobNeeds): void {
    this.#failed.set(cls, spec);
    this.#version += 1;
  }

  /** Whether class `cls` itself failed to place (rather than being implied by one that did). */
  failed(cls: string): boolean {
    return this.#failed.has(cls);
  }

  /** Whether jobs of class `cls` (whose needs are `spec`) cannot be placed now. */
  has(cls: string, spec: JobNeeds): boolean {
    if (this.#failed.has(cls)) return true;
    for (const failed of this.#failed.values()) if (needsAtLeast(spec, failed)) return true;
    return false;
  }

  /** The node changed: classes it can take now are no longer blocked. */
  nodeChanged(node: NodeRecord): void {
    if (this.#failed.size === 0 || !node.schedulable) return;
    for (const [cls, needs] of this.#failed) {
      if (fitsNow(node, needs)) {
        this.#failed.delete(cls);
        this.#version += 1;
      }
    }
  }

  clear(): void {
    this.#failed.clear();
    this.#version += 1;
  }
}

/** Whether `spec` needs at least what `failed` needs, so no node that refuses `failed` takes `spec`. */
function needsAtLeast(spec: JobNeeds, failed: JobNeeds): boolean {
  if (
    spec.type !== failed.type ||
    toMilliCpus(spec.cpu) < toMilliCpus(failed.cpu) ||
    spec.memoryBytes < failed.memoryBytes
  )
    return false;
  for (const key in failed.constraints) if (spec.constraints[key] !== failed.constraints[key]) return false;
  return true;
}
