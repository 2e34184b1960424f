import { randomBytes, timingSafeEqual } from 'node:crypto';
import { AlreadyExistsError, InvalidArgumentError, type Clock } from '@dist-exec/core';
import type { Logger } from 'pino';
import type { Store, StoredNodeClaim } from '../store/store.js';
import { hashToken } from './token-registry.js';

export interface NodeClaimsOptions {
  store: Pick<Store, 'putNodeClaim' | 'deleteNodeClaim'>;
  clock: Clock;
  logger: Logger;
  /**
   * Whether the id's node still holds it: registered and not LOST (or,
   * just after a master restart, not yet known to be LOST).
   */
  held(nodeId: string): boolean;
  /** How long a node must be silent to be LOST, for messages. */
  nodeLostTimeoutMs: number;
}

interface Claim {
  stored: StoredNodeClaim;
  hash: Buffer;
}

/** Shortest node secret a worker may present: 32 base64url characters are 192 random bits. */
export const MIN_NODE_SECRET_LENGTH = 32;

/**
 * Which worker holds each node id, as Nomad's node secret does. A worker
 * makes a random node secret once and keeps it in its state dir; the master
 * ties the id to the secret of its first registration, keeping its SHA-256
 * (in the store, so restarts keep it). A later registration of the id, its
 * heartbeats and its leaving must present the secret. Without it, an id
 * whose node is alive (not LOST) is refused with ALREADY_EXISTS: nobody
 * takes over a live node, nor does a second cluster on the same machine. An
 * id whose node is LOST (or left) is free: the next worker claims it anew.
 *
 * The secret is the worker's, not handed out by the master, so that a
 * Register whose answer was lost (a timeout under load) can be sent again:
 * it presents the same secret and is admitted, where a secret only in the
 * lost answer would leave the worker locked out of its own id.
 */
export class NodeClaims {
  readonly #options: NodeClaimsOptions;
  readonly #log: Logger;
  readonly #claims = new Map<string, Claim>();

  constructor(options: NodeClaimsOptions) {
    this.#options = options;
    this.#log = options.logger.child({ component: 'nodes' });
  }

  load(claims: readonly StoredNodeClaim[]): void {
    for (const stored of claims)
      this.#claims.set(stored.nodeId, { stored, hash: Buffer.from(stored.secretHash, 'hex') });
  }

  /** Whether `secret` is the node's secret (constant time). False when the id is not claimed. */
  verify(nodeId: string, secret: string): boolean {
    const claim = this.#claims.get(nodeId);
    if (!claim || !secret) return false;
    return timingSafeEqual(hashToken(secret), claim.hash);
  }

  /** The token name the node's worker registered with; undefined when the id is not claimed. */
  tokenOf(nodeId: string): string | undefined {
    return this.#claims.get(nodeId)?.stored.tokenName;
  }

  /**
   * Admits a registration of `nodeId` presenting `secret` ('' for none).
   * Answers a secret the master made when none was presented (the worker
   * must keep it), '' otherwise; throws ALREADY_EXISTS when another worker
   * holds the id. A new claim is durable at the store's next flush (the
   * registration's answer waits for it).
   */
  admit(nodeId: string, secret: string, tokenName: string): string {
    if (secret && secret.length < MIN_NODE_SECRET_LENGTH) {
      throw new InvalidArgumentError(
        `nodeSecret: ${secret.length} characters; a node secret must have at least ${MIN_NODE_SECRET_LENGTH} random ones`,
        { field: 'nodeSecret' },
      );
    }
    const claim = this.#claims.get(nodeId);
    if (claim && this.verify(nodeId, secret)) {
      if (claim.stored.tokenName !== tokenName) {
        claim.stored = { ...claim.stored, tokenName };
        this.#options.store.putNodeClaim(claim.stored);
      }
      return '';
    }
    if (claim && this.#options.held(nodeId)) {
      const lostAfter = Math.round(this.#options.nodeLostTimeoutMs / 1000);
      throw new AlreadyExistsError(
        `node id "${nodeId}" belongs to another worker (${secret ? 'its node secret does not match' : 'no node secret was presented'}); ` +
          `give this worker another --id, or the --state-dir of the worker that registered it, or wait until ${nodeId} is LOST (${lostAfter}s without heartbeats)`,
      );
    }
    if (claim) this.#log.warn({ nodeId, tokenName }, 'node id taken over by a new worker: its earlier holder is LOST');
    const issued = secret ? '' : randomBytes(32).toString('base64url');
    const stored: StoredNodeClaim = {
      nodeId,
      secretHash: hashToken(secret || issued).toString('hex'),
      tokenName,
      claimedAtMs: this.#options.clock.now(),
    };
    this.#claims.set(nodeId, { stored, hash: Buffer.from(stored.secretHash, 'hex') });
    this.#options.store.putNodeClaim(stored);
    return issued;
  }

  /** The node left: its id is free. */
  release(nodeId: string): void {
    if (!this.#claims.delete(nodeId)) return;
    this.#options.store.deleteNodeClaim(nodeId);
  }
}
