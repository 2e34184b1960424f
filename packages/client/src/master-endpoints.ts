import { setTimeout as delay } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import {
  createChannelCredentials,
  leaderHint,
  v1,
  withBearerToken,
  withTls,
  type ClientTls,
  type JobServiceClient,
  type NodeServiceClient,
  type TokenServiceClient,
} from '@dist-exec/proto';
import { channelOptionsFor, Connection } from './connection.js';

/** One master: the service clients on its one channel. */
export interface MasterEndpoint {
  address: string;
  jobs: JobServiceClient;
  nodes: NodeServiceClient;
  tokens: TokenServiceClient;
  connection: Connection;
}

/** Rounds over the list a call makes at most before it gives up (a failover takes about a lease TTL). */
const ROUNDS = 3;
/** Pause before trying the next master when none named a leader. */
const PAUSE_MS = 200;

/**
 * The masters a client may call (`a:50051,b:50051,c:50051`): one of them
 * leads, the others answer UNAVAILABLE naming it. The client talks to one at
 * a time and moves on when a call shows it should, to the leader named or
 * the next in the list. One master is a list of one, and nothing changes.
 */
export class MasterEndpoints {
  readonly #addresses: string[];
  readonly #connectTimeoutMs: number;
  readonly #token: string;
  readonly #tls: ClientTls | null;
  readonly #made = new Map<string, MasterEndpoint>();
  #current = 0;

  constructor(addresses: readonly string[], connectTimeoutMs: number, token: string, tls: ClientTls | null = null) {
    this.#addresses = addresses.length ? [...addresses] : [''];
    this.#connectTimeoutMs = connectTimeoutMs;
    this.#token = token;
    this.#tls = tls;
  }

  get current(): MasterEndpoint {
    const address = this.#addresses[this.#current] as string;
    let endpoint = this.#made.get(address);
    if (!endpoint) {
      const tls = this.#tls;
      const credentials = createChannelCredentials(tls, address);
      const options = withBearerToken(withTls(channelOptionsFor(this.#connectTimeoutMs), tls, address), this.#token);
      const jobs = new v1.JobService(address, credentials, options);
      // Share one connection between the services.
      const shared = { ...options, channelOverride: jobs.getChannel() };
      endpoint = {
        address,
        jobs,
        nodes: new v1.NodeService(address, credentials, shared),
        tokens: new v1.TokenService(address, credentials, shared),
        connection: new Connection(
          address,
          jobs.getChannel(),
          this.#connectTimeoutMs,
          'distexec.v1.JobService',
          tls !== null,
        ),
      };
      this.#made.set(address, endpoint);
    }
    return endpoint;
  }

  /**
   * A call to `at` failed with `error`, its `tries`th: whether to try again,
   * after moving to the leader a follower named or to the next master. Only
   * for failures where the call surely did nothing (a follower's refusal, a
   * refused connection), and only with several masters or a leader named.
   */
  async failOver(at: MasterEndpoint, error: grpc.ServiceError, tries: number): Promise<boolean> {
    const hint = leaderHint(error);
    const refused =
      error.code === grpc.status.UNAVAILABLE &&
      (hint !== '' || /follower|connect E[A-Z]+|getaddrinfo|No connection established/.test(error.details ?? ''));
    if (!refused || (this.#addresses.length < 2 && !hint)) return false;
    if (tries > ROUNDS * Math.max(2, this.#addresses.length)) return false;
    if (this.current !== at) return true; // Another call moved on already.
    if (hint) {
      const known = this.#addresses.indexOf(hint);
      if (known < 0) this.#addresses.push(hint);
      this.#current = known >= 0 ? known : this.#addresses.length - 1;
      if (this.#addresses[this.#current] === at.address) await delay(PAUSE_MS);
    } else {
      this.#current = (this.#current + 1) % this.#addresses.length;
      // A whole round without a leader: a failover is under way; give it a moment.
      if (this.#current === 0) await delay(PAUSE_MS * Math.min(5, tries));
    }
    return true;
  }

  /**
   * A stream on `at` broke: with several masters, the next call goes to the
   * leader named or the next master (a watch resumed from its offset then
   * finds the new leader, or a follower that forwards to it).
   */
  streamFailed(at: MasterEndpoint, error: unknown): void {
    const code = (error as Partial<grpc.ServiceError> | null)?.code;
    const hint = leaderHint(error);
    if (code !== grpc.status.UNAVAILABLE || (this.#addresses.length < 2 && !hint) || this.current !== at) return;
    const known = hint ? this.#addresses.indexOf(hint) : -1;
    if (hint && known < 0) this.#addresses.push(hint);
    this.#current = hint
      ? known >= 0
        ? known
        : this.#addresses.length - 1
      : (this.#current + 1) % this.#addresses.length;
  }

  close(): void {
    for (const endpoint of this.#made.values()) endpoint.jobs.close();
    this.#made.clear();
  }
}
