/**
 * Calls that stay open (gRPC streams, HTTP event streams) by the credential
 * they were opened with, so that revoking a token ends them at once instead
 * of when they happen to close.
 */
export class OpenStreams {
  readonly #byCredential = new Map<string, Set<(reason: string) => void>>();

  /** Registers a stream's `end`; returns the function that forgets it (call it when the stream ends). */
  add(credentialId: string, end: (reason: string) => void): () => void {
    let set = this.#byCredential.get(credentialId);
    if (!set) {
      set = new Set();
      this.#byCredential.set(credentialId, set);
    }
    set.add(end);
    return () => {
      const current = this.#byCredential.get(credentialId);
      if (!current) return;
      current.delete(end);
      if (current.size === 0) this.#byCredential.delete(credentialId);
    };
  }

  /** Streams open now with the credential. */
  count(credentialId: string): number {
    return this.#byCredential.get(credentialId)?.size ?? 0;
  }

  /** Ends every stream of the credential with `reason`; returns how many. */
  end(credentialId: string, reason: string): number {
    const set = this.#byCredential.get(credentialId);
    if (!set) return 0;
    this.#byCredential.delete(credentialId);
    for (const end of set) end(reason);
    return set.size;
  }
}
