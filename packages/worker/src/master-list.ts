import type { NodeServiceClient } from '@dist-exec/proto';

/**
 * The masters a worker may talk to, and the one it talks to now. A master
 * that cannot be reached, or that follows, is left for the leader it names,
 * or else the next in the list; one channel per address, made when first used.
 */
export class MasterList {
  readonly #addresses: string[];
  readonly #make: (address: string) => NodeServiceClient;
  readonly #clients = new Map<string, NodeServiceClient>();
  #current = 0;

  constructor(addresses: readonly string[], make: (address: string) => NodeServiceClient) {
    if (addresses.length === 0) throw new Error('no master address');
    this.#addresses = [...addresses];
    this.#make = make;
  }

  get address(): string {
    return this.#addresses[this.#current] as string;
  }

  get size(): number {
    return this.#addresses.length;
  }

  get client(): NodeServiceClient {
    const address = this.address;
    let client = this.#clients.get(address);
    if (!client) {
      client = this.#make(address);
      this.#clients.set(address, client);
    }
    return client;
  }

  /** Moves on from the current master: to `hint` (the leader a follower named) when given, else the next one. */
  next(hint = ''): void {
    if (hint) {
      const known = this.#addresses.indexOf(hint);
      if (known >= 0) {
        this.#current = known;
        return;
      }
      // A leader the list does not name (its advertised address): try it too.
      this.#addresses.push(hint);
      this.#current = this.#addresses.length - 1;
      return;
    }
    this.#current = (this.#current + 1) % this.#addresses.length;
  }

  close(): void {
    for (const client of this.#clients.values()) client.close();
    this.#clients.clear();
  }
}
