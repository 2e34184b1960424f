import { randomUUID } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import { CommandPolicy, systemClock, type Clock, type ClusterSnapshot, type MasterInfo } from '@dist-exec/core';
import {
  addHealthAndReflection,
  bindServer,
  createServer,
  loadTlsFiles,
  probeHealth,
  shutdownServer,
  type TlsSetup,
} from '@dist-exec/runtime';
import { pino, type Logger } from 'pino';
import { addApiServices, SERVICE_NAMES } from './api.js';
import { MasterAuth } from './auth/master-auth.js';
import type { NodeClaims } from './auth/node-claims.js';
import { addTokenService } from './auth/token-api.js';
import type { TokenRegistry } from './auth/token-registry.js';
import { ClusterState } from './cluster-state.js';
import { takeSnapshot } from './cluster-snapshot.js';
import {
  compileMasterOptions,
  DEFAULT_FORGET_LOST_AFTER_MS,
  type CompiledMasterOptions,
  type MasterOptions,
} from './config.js';
import { HealthController, HistoryGc, Rescheduler, RetryController, SnapshotLog } from './controllers/index.js';
import { DEFAULT_BREAKER_OPTIONS, DispatchBreakers, Dispatcher } from './dispatch/index.js';
import { MasterEvents } from './events.js';
import { ActivitySeries, activitySample } from './activity-series.js';
import { HttpServer } from './http/server.js';
import { buildRouter } from './http/routes.js';
import { subscribeJobLog } from './jobs/index.js';
import { MasterMetrics } from './metrics.js';
import { FailureDetector, NodeManager, NodeRegistry, type HeartbeatStreams } from './nodes/index.js';
import { createPolicy } from './placement/index.js';
import { Scheduler } from './scheduler.js';
import { MemoryStore } from './store/memory-store.js';
import type { LeaderLease } from './store/postgres-lease.js';
import { PostgresStore } from './store/postgres-store.js';
import { SqliteStore } from './store/sqlite-store.js';
import type { Store } from './store/store.js';

export interface MasterDeps {
  logger?: Logger;
  clock?: Clock;
  /** A store to use instead of the one `options.store` names (tests). */
  store?: Store;
  /**
   * The lease this master leads under, when several masters share a
   * PostgreSQL database (see LeaderElection): its store writes and its
   * dispatches are fenced by the lease's epoch.
   */
  lease?: LeaderLease;
  /** The masters sharing the database, for the cluster views (with `lease`). */
  masters?: () => Promise<MasterInfo[]>;
  /** How many times this process took the lease, this term included (metrics; with `lease`). */
  terms?: number;
}

/** Where a started master listens. */
export interface MasterAddress {
  host: string;
  port: number;
  /** HTTP port of metrics, health, the REST API and the dashboard. */
  httpPort: number;
}

type Stage = 'new' | 'starting' | 'running' | 'stopping' | 'stopped';

/**
 * The master process as an object: the composition root that wires store,
 * cluster state, scheduler, dispatcher, node manager, controllers and the gRPC
 * server in order, and stops them in reverse.
 */
export class Master {
  readonly options: CompiledMasterOptions;
  readonly id = randomUUID();
  readonly cluster: ClusterState;
  readonly nodes: NodeManager;
  readonly scheduler: Scheduler;
  readonly dispatcher: Dispatcher;
  readonly store: Store;
  /** Job and node events, for whatever instruments the master. */
  readonly events = new MasterEvents();
  readonly metrics: MasterMetrics;
  /** The last 15 minutes, a second at a time, for the dashboard's charts. */
  readonly activity: ActivitySeries;
  /** Who may call: tokens, node claims, the interceptor and the HTTP guard. */
  readonly auth: MasterAuth;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #health: HealthController;
  readonly #snapshotLog: SnapshotLog;
  readonly #detector: FailureDetector;
  readonly #historyGc: HistoryGc;
  /** Read and checked at construction: a bad file stops the master before it opens anything. */
  readonly #tls: TlsSetup;
  readonly #lease: LeaderLease | null;
  readonly #masters: (() => Promise<MasterInfo[]>) | null;
  #server: grpc.Server | null = null;
  #heartbeats: HeartbeatStreams | null = null;
  #http: HttpServer | null = null;
  #setServing: ((status: 'SERVING' | 'NOT_SERVING') => void) | null = null;
  #unwatchStore: (() => void) | null = null;
  #stage: Stage = 'new';
  #stopping: Promise<void> | null = null;
  #port = 0;
  #httpPort = 0;

  constructor(options: MasterOptions = {}, deps: MasterDeps = {}) {
    this.options = compileMasterOptions(options);
    this.#log = deps.logger ?? pino({ level: 'info' });
    this.#clock = deps.clock ?? systemClock;
    const o = this.options;
    const clock = this.#clock;
    const logger = this.#log;
    const tls = (this.#tls = loadTlsFiles(o.tls, clock.now()));
    // Each part gets the parts it calls in its constructor, so they are built bottom up: state first,
    // then what reads and changes it. A part that must hear from one built before it subscribes to it.
    const lease = deps.lease;
    this.#lease = lease ?? null;
    this.#masters = deps.masters ?? null;
    const store = (this.store = deps.store ?? createStore(o, logger, clock, lease));
    const registry = new NodeRegistry();
    const cluster = (this.cluster = new ClusterState({
      store,
      registry,
      retries: new RetryController({ clock, backoff: { baseMs: o.retryBackoffBaseMs, capMs: o.retryBackoffCapMs } }),
      clock,
      logger,
      maxQueue: o.maxQueue,
      limits: { defaultTimeoutMs: o.defaultTimeoutMs, maxTimeoutMs: o.maxTimeoutMs, taskTypes: new Set(o.taskTypes) },
      events: this.events,
      // Read only once the master runs (recovery, submits), when auth is built below.
      tokenLimits: (name) => this.auth.tokens.limitsOf(name),
      commands: new CommandPolicy({ allow: o.allowCommands, deny: o.denyCommands }, "the master's"),
    }));
    const detector = (this.#detector = new FailureDetector({
      registry,
      clock,
      logger,
      probe: (address, timeoutMs) => probeHealth(address, timeoutMs, tls.client),
      probeTimeoutMs: Math.min(o.dispatchTimeoutMs, Math.max(1000, o.heartbeatIntervalMs)),
      probeIntervalMs: Math.max(1000, o.heartbeatIntervalMs),
      kick: () => cluster.kick(),
    }));
    const dispatcher = (this.dispatcher = new Dispatcher({
      cluster,
      store,
      clock,
      logger,
      dispatchTimeoutMs: o.dispatchTimeoutMs,
      callTimeoutMs: o.callTimeoutMs,
      outputLimitBytes: o.outputLimitBytes,
      killGraceMs: o.killGraceMs,
      tls: tls.client,
      breakers: new DispatchBreakers({
        registry,
        clock,
        logger,
        breaker: {
          failureThreshold: o.dispatchFailureThreshold,
          openMs: o.skipNodeMs,
          maxOpenMs: Math.max(DEFAULT_BREAKER_OPTIONS.maxOpenMs, o.skipNodeMs),
        },
        kick: () => cluster.kick(),
      }),
      detector,
      ...(lease ? { lease } : {}),
    }));
    const timeouts = { heartbeatTimeoutMs: o.heartbeatTimeoutMs, nodeLostTimeoutMs: o.nodeLostTimeoutMs };
    const nodes = (this.nodes = new NodeManager({
      cluster,
      registry,
      links: dispatcher,
      rescheduler: new Rescheduler({
        cluster,
        registry,
        stopper: dispatcher,
        logger,
        rescheduleOn: o.rescheduleOn,
        ...timeouts,
      }),
      detector,
      clock,
      logger,
      heartbeatIntervalMs: o.heartbeatIntervalMs,
      ...timeouts,
      forgetLostAfterMs: DEFAULT_FORGET_LOST_AFTER_MS,
      events: this.events,
    }));
    this.scheduler = new Scheduler({
      cluster,
      policy: createPolicy(o.policy),
      clock,
      logger,
      dispatch: (job, attempt, node) => dispatcher.execute(job, attempt, node),
    });
    this.auth = new MasterAuth({
      options: o,
      store,
      clock,
      logger,
      nodeHealth: (nodeId) => registry.get(nodeId)?.health,
      tokenRevoked: (name) => nodes.dropNodesOf(name),
    });
    this.#health = new HealthController({
      nodes,
      clock,
      // Notice silence within a fifth of the timeout, but do not spin on tiny timeouts.
      tickMs: Math.max(20, Math.min(1000, Math.floor(o.heartbeatTimeoutMs / 5))),
    });
    this.#historyGc = new HistoryGc({
      store,
      clock,
      logger,
      retentionMs: o.historyRetentionMs,
      maxJobs: o.historyMaxJobs,
      intervalMs: o.historyGcIntervalMs,
    });
    this.activity = new ActivitySeries({ clock, events: this.events, sample: () => activitySample(cluster) });
    this.metrics = new MasterMetrics({
      cluster,
      events: this.events,
      ...(lease ? { leadership: { epoch: lease.epoch, terms: deps.terms ?? 1 } } : {}),
    });
    subscribeJobLog(this.events, logger);
    this.#snapshotLog = new SnapshotLog({
      snapshot: () => this.snapshot(),
      clock,
      logger,
      intervalMs: o.snapshotIntervalMs,
    });
  }

  get port(): number {
    return this.#port;
  }

  get httpPort(): number {
    return this.#httpPort;
  }

  get logger(): Logger {
    return this.#log;
  }

  /** The bootstrap admin token (from --admin-token-file), known once started; '' with auth off. */
  get adminToken(): string {
    return this.auth.adminToken;
  }

  /** The tokens the master accepts (create, list and revoke them here or over TokenService). */
  get tokens(): TokenRegistry {
    return this.auth.tokens;
  }

  /** Which worker holds each node id. */
  get claims(): NodeClaims {
    return this.auth.claims;
  }

  /** Jobs by state, queue depth, nodes with health, heartbeat age and use: the cluster now. */
  snapshot(): Promise<ClusterSnapshot> {
    return takeSnapshot({
      cluster: this.cluster,
      nodes: this.nodes,
      store: this.store,
      clock: this.#clock,
      masterId: this.id,
      ...(this.#masters ? { masters: this.#masters } : {}),
    });
  }

  async start(): Promise<MasterAddress> {
    if (this.#stage !== 'new') throw new Error(`master cannot start: it is ${this.#stage}`);
    this.#stage = 'starting';
    const o = this.options;
    try {
      this.cluster.recover(await this.store.open());
      await this.auth.load();
    } catch (error) {
      await this.store.close();
      this.#stage = 'stopped';
      throw error;
    }
    const server = createServer({
      interceptors: this.auth.interceptors(),
      // The client only sees RESOURCE_EXHAUSTED; the operator should see it too.
      onSendFailure: (method, details) => this.#log.error({ method, details }, 'could not send an answer'),
    });
    const caller = this.auth.caller;
    this.#setServing = addHealthAndReflection(server, SERVICE_NAMES);
    addTokenService(server, { tokens: this.tokens, logger: this.#log, caller });
    this.#heartbeats = addApiServices(server, {
      cluster: this.cluster,
      nodes: this.nodes,
      scheduler: this.scheduler,
      store: this.store,
      logger: this.#log,
      masterId: this.id,
      epoch: this.#lease?.epoch ?? 0,
      snapshot: () => this.snapshot(),
      caller,
      claims: this.auth.claims,
    });
    this.#server = server;
    try {
      this.#port = await bindServer(
        server,
        `${o.host.includes(':') ? `[${o.host}]` : o.host}:${o.port}`,
        this.#tls.server,
      );
      this.#http = new HttpServer({
        router: buildRouter({ master: this, readiness: () => this.#readiness() }),
        guard: this.auth.httpGuard(),
        logger: this.#log,
        host: o.host,
        port: o.httpPort,
        tls: this.#tls.server,
      });
      this.#httpPort = await this.#http.start();
    } catch (error) {
      // Release the data dir so a retry (or another master) can open it.
      server.forceShutdown();
      await this.#http?.stop();
      await this.store.close();
      this.#stage = 'stopped';
      throw error;
    }
    this.scheduler.start();
    this.auth.start();
    this.#health.start();
    this.#snapshotLog.start();
    this.#historyGc.start();
    this.activity.start();
    this.#stage = 'running';
    // The store's health is the master's readiness: not serving while it cannot write.
    this.#unwatchStore = this.store.watchProblem((problem) => this.#storeChanged(problem));
    this.#setServing(this.store.problem ? 'NOT_SERVING' : 'SERVING');
    this.#log.info(
      {
        port: this.#port,
        httpPort: this.#httpPort,
        store: this.store.kind,
        dataPath: this.store.location || undefined,
        policy: this.scheduler.policyName,
        tls: this.#tls.server ? (this.#tls.server.clientCa ? 'mtls' : 'tls') : 'off',
      },
      'master listening',
    );
    this.auth.warnIfExposed();
    return { host: o.host, port: this.#port, httpPort: this.#httpPort };
  }

  #storeChanged(problem: string | null): void {
    if (this.#stage !== 'running') return;
    this.#setServing?.(problem ? 'NOT_SERVING' : 'SERVING');
    if (problem) this.#log.error({ problem }, 'not ready: the store cannot write');
    else this.#log.info('ready again: the store can write');
  }

  #readiness(): { ready: boolean; checks: Record<string, string> } {
    const problem = this.store.problem;
    const checks: Record<string, string> = {
      store: problem ?? (this.#stage === 'running' ? 'open' : this.#stage === 'stopped' ? 'closed' : this.#stage),
      scheduler: this.scheduler.running ? 'running' : 'stopped',
    };
    const lease = this.#lease;
    if (lease) checks.lease = lease.holds() ? `leader (epoch ${lease.epoch})` : 'lost';
    const leads = !lease || lease.holds();
    return { ready: this.#stage === 'running' && this.scheduler.running && problem === null && leads, checks };
  }

  /** Workers' heartbeat streams open now (each worker keeps one). */
  get heartbeatStreams(): number {
    return this.#heartbeats?.openCount ?? 0;
  }

  /**
   * Stops what only a leader does (scheduling, dispatching, the controllers)
   * and makes what is buffered durable, while the API still answers: a leader
   * that hands its lease over does this first, releases the lease, then
   * stops. Whatever it still writes after that is refused by the database
   * (the epoch), and is neither acknowledged nor lost.
   */
  async quiesce(): Promise<void> {
    this.#health.stop();
    this.#snapshotLog.stop();
    this.#detector.stop();
    await this.#historyGc.stop();
    this.scheduler.stop();
    this.dispatcher.stop();
    await this.store.flush().catch(() => undefined);
  }

  /** Turns health NOT_SERVING first, lets calls finish within the grace period, then stops parts in reverse order. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    this.#stage = 'stopping';
    this.#unwatchStore?.();
    this.#setServing?.('NOT_SERVING');
    this.#health.stop();
    this.auth.stop();
    this.#snapshotLog.stop();
    this.#detector.stop();
    await this.#historyGc.stop();
    this.scheduler.stop();
    this.dispatcher.stop();
    this.cluster.stop();
    this.#heartbeats?.close();
    if (this.#server) await shutdownServer(this.#server, this.options.shutdownGraceMs);
    await this.#http?.stop();
    this.metrics.stop();
    this.activity.stop();
    // close() commits what is buffered; a flush here could wait for a database that is gone.
    await this.store.close();
    this.#stage = 'stopped';
    this.#log.info('master stopped');
  }
}

function createStore(
  options: CompiledMasterOptions,
  logger: Logger,
  clock: Clock,
  lease: LeaderLease | undefined,
): Store {
  switch (options.store) {
    case 'memory':
      return new MemoryStore();
    case 'sqlite':
      return new SqliteStore({ dataDir: options.dataDir, logger, clock, minFreeSpaceBytes: options.minFreeSpaceBytes });
    case 'postgres':
      return new PostgresStore({ url: options.databaseUrl, logger, ...(lease ? { lease } : {}) });
  }
}
