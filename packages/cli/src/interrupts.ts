/**
 * Counts Ctrl-Cs (SIGINT) from the moment it is created, so one that comes
 * between submitting and waiting is not lost. Only the CLI's commands use it.
 */
export class Interrupts {
  #count = 0;
  #handler: ((count: number) => void) | null = null;
  readonly #listener = (): void => {
    this.#count += 1;
    this.#handler?.(this.#count);
  };

  constructor() {
    process.on('SIGINT', this.#listener);
  }

  get count(): number {
    return this.#count;
  }

  /** Calls `handler` with the running count at each further Ctrl-C. */
  onInterrupt(handler: (count: number) => void): void {
    this.#handler = handler;
  }

  dispose(): void {
    process.off('SIGINT', this.#listener);
    this.#handler = null;
  }
}
