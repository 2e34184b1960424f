/** Told each time a store's problem changes: the new one, or null once writes are durable again. */
export type ProblemListener = (problem: string | null) => void;

/**
 * Whether a store makes writes durable now: null, or why not in words a
 * person acts on (`disk full at /var/lib/dist-exec: 0 bytes free`). The store
 * is its one writer; the master reads it for readiness and watches it to turn
 * gRPC health NOT_SERVING and back.
 */
export class StoreHealth {
  #problem: string | null = null;
  readonly #listeners = new Set<ProblemListener>();

  get problem(): string | null {
    return this.#problem;
  }

  /** Sets the problem (null: healthy); listeners hear of every change, not of a repeat. */
  set(problem: string | null): void {
    if (problem === this.#problem) return;
    this.#problem = problem;
    for (const listener of [...this.#listeners]) listener(problem);
  }

  /** Calls `listener` on every change until the returned function is called. */
  watch(listener: ProblemListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
