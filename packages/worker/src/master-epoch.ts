import { FailedPreconditionError } from '@dist-exec/core';
import type { Logger } from 'pino';

/**
 * The highest leadership epoch this worker has seen from a master (several
 * masters on PostgreSQL lead in turn, each under a higher epoch). Orders and
 * acks from an older epoch come from a master that is no longer the leader,
 * whatever it believes (it was paused, or cut off, past its lease): they are
 * refused, so such a master changes nothing here. Epoch 0 is a master
 * without leases, which is always heard.
 */
export class MasterEpoch {
  readonly #log: Logger;
  #highest = 0;

  constructor(logger: Logger) {
    this.#log = logger.child({ component: 'epoch' });
  }

  get highest(): number {
    return this.#highest;
  }

  /** Whether a message from `epoch` may be obeyed; a higher one becomes the highest. */
  admit(epoch: number): boolean {
    if (epoch === 0) return true;
    if (epoch < this.#highest) {
      this.#log.warn({ epoch, highest: this.#highest }, 'refused a message from a master of an older epoch');
      return false;
    }
    this.#highest = epoch;
    return true;
  }

  /** As `admit`, throwing the refusal a stale master is answered with. */
  check(epoch: number): void {
    if (!this.admit(epoch))
      throw new FailedPreconditionError(
        `this worker follows the master of epoch ${this.#highest}; epoch ${epoch} is over (another master leads)`,
      );
  }
}
