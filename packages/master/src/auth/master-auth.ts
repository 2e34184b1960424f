import { hostname } from 'node:os';
import type * as grpc from '@grpc/grpc-js';
import type { Clock } from '@dist-exec/core';
import { ANONYMOUS_ADMIN, authInterceptor, callerOf, OpenStreams, RefusalLog, type Caller } from '@dist-exec/runtime';
import type { Logger } from 'pino';
import type { CompiledMasterOptions } from '../config.js';
import { AllowedHosts } from '../http/allowed-hosts.js';
import { HttpGuard } from '../http/guard.js';
import type { NodeHealth } from '../nodes/health.js';
import type { Store } from '../store/store.js';
import { loadOrCreateTokenFile } from './bootstrap-token-file.js';
import { NodeClaims } from './node-claims.js';
import { TokenRegistry } from './token-registry.js';

export interface MasterAuthOptions {
  options: Pick<
    CompiledMasterOptions,
    'auth' | 'adminTokenFile' | 'workerTokenFile' | 'publicMetrics' | 'httpAllowedHosts' | 'host' | 'nodeLostTimeoutMs'
  >;
  store: Store;
  clock: Clock;
  logger: Logger;
  /** The health of a node the master knows, or undefined (node claims: is the id still held?). */
  nodeHealth(nodeId: string): NodeHealth | undefined;
  /** A token was revoked: the nodes its workers registered go. */
  tokenRevoked(name: string): void;
}

/**
 * Who may call the master, wired in one place: the tokens, the claims of
 * node ids, the streams open per credential (ended when it is revoked), the
 * log of refused calls, the gRPC interceptor and the HTTP guard. With
 * `--auth none` there is no interceptor, the guard lets everyone in, and
 * every caller is an anonymous admin.
 */
export class MasterAuth {
  readonly tokens: TokenRegistry;
  readonly claims: NodeClaims;
  readonly #options: MasterAuthOptions;
  readonly #log: Logger;
  readonly #streams = new OpenStreams();
  readonly #refusals: RefusalLog;
  #adminToken = '';
  #loadedAtMs = 0;

  constructor(options: MasterAuthOptions) {
    this.#options = options;
    this.#log = options.logger;
    const { store, clock, logger } = options;
    this.#refusals = new RefusalLog({ logger, clock });
    this.tokens = new TokenRegistry({
      store,
      clock,
      logger,
      streams: this.#streams,
      onRevoked: (name) => options.tokenRevoked(name),
    });
    this.claims = new NodeClaims({
      store,
      clock,
      logger,
      nodeLostTimeoutMs: options.options.nodeLostTimeoutMs,
      // Just after a restart the master cannot tell a node that is gone from one about to come back: it waits a lost timeout.
      held: (nodeId) => {
        const health = options.nodeHealth(nodeId);
        if (health) return health !== 'LOST';
        return clock.now() - this.#loadedAtMs < options.options.nodeLostTimeoutMs;
      },
    });
  }

  get on(): boolean {
    return this.#options.options.auth === 'tokens';
  }

  /** The bootstrap admin token, known once loaded; '' with auth off. */
  get adminToken(): string {
    return this.#adminToken;
  }

  /** Tokens and node claims from the (open) store, then the bootstrap token files. */
  async load(): Promise<void> {
    const o = this.#options.options;
    this.#loadedAtMs = this.#options.clock.now();
    const stored = await this.#options.store.loadAuth();
    this.tokens.load(stored.tokens);
    this.claims.load(stored.nodeClaims);
    if (!this.on) {
      this.#log.warn(
        '*** AUTHENTICATION IS OFF (--auth none): anyone who reaches this master can run any command on its workers ***',
      );
      return;
    }
    const admin = loadOrCreateTokenFile(o.adminTokenFile, 'admin token file');
    this.tokens.addFileToken('admin', 'admin', admin.token, o.adminTokenFile);
    this.#adminToken = admin.token;
    // The path only: the token itself never goes to a log.
    this.#log.info({ file: o.adminTokenFile, created: admin.created }, 'admin token file');
    if (o.workerTokenFile) {
      const worker = loadOrCreateTokenFile(o.workerTokenFile, 'worker token file');
      this.tokens.addFileToken('workers', 'worker', worker.token, o.workerTokenFile);
      this.#log.info({ file: o.workerTokenFile, created: worker.created }, 'worker token file');
    }
  }

  /** The gRPC server's interceptors: the auth interceptor, or none with auth off. */
  interceptors(): grpc.ServerInterceptor[] {
    if (!this.on) return [];
    return [
      authInterceptor({
        authenticate: (credential) => this.tokens.authenticate(credential),
        streams: this.#streams,
        refused: (refusal) => this.#refusals.note(refusal),
      }),
    ];
  }

  /** Who makes a gRPC call (handlers ask). */
  readonly caller = (call: { metadata: grpc.Metadata }): Caller => (this.on ? callerOf(call) : ANONYMOUS_ADMIN);

  /** The door of the HTTP port. */
  httpGuard(): HttpGuard {
    const o = this.#options.options;
    return new HttpGuard({
      authenticate: this.on ? (credential) => this.tokens.authenticate(credential) : null,
      publicMetrics: o.publicMetrics,
      hosts: new AllowedHosts(o.httpAllowedHosts, hostname(), o.host),
      streams: this.#streams,
      refused: (refusal) => this.#refusals.note(refusal),
    });
  }

  /** Says so when the master listens beyond this machine: nothing is encrypted yet. */
  warnIfExposed(): void {
    const host = this.#options.options.host;
    if (host === 'localhost' || host === '::1' || host.startsWith('127.')) return;
    this.#log.warn(
      { host },
      'listening beyond this machine without TLS: tokens, commands and output cross the network unencrypted',
    );
  }

  start(): void {
    this.tokens.start();
  }

  stop(): void {
    this.tokens.stop();
  }
}
