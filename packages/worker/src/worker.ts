import { randomBytes, timingSafeEqual } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import { CommandPolicy, sleep, systemClock, type Clock } from '@dist-exec/core';
import {
  CHANNEL_OPTIONS,
  createChannelCredentials,
  masterAddresses,
  v1,
  withBearerToken,
  withTls,
} from '@dist-exec/proto';
import {
  addHealthAndReflection,
  authInterceptor,
  bindServer,
  createServer,
  loadTlsFiles,
  RefusalLog,
  shutdownServer,
  type Authentication,
  type TlsSetup,
} from '@dist-exec/runtime';
import { pino, type Logger } from 'pino';
import { Agent } from './agent.js';
import { compileWorkerOptions, httpTargetPolicy, type CompiledWorkerOptions, type WorkerOptions } from './config.js';
import { defaultExecutors, type Executor } from './executors/index.js';
import { Fence } from './fence.js';
import { MasterEpoch } from './master-epoch.js';
import { MasterList } from './master-list.js';
import { WorkerHttpServer } from './http-server.js';
import { WorkerMetrics } from './metrics.js';
import { NodeSecretFile, type NodeSecretStore } from './node-secret-file.js';
import { TaskRunner } from './runner.js';
import { addExecutionService, WORKER_SERVICE_NAMES, type DispatchSessions } from './server.js';

export const WORKER_VERSION = '0.1.0';
/** While leaving with unacknowledged results, ask the master this often. */
const HAND_OVER_RETRY_MS = 500;

export interface WorkerDeps {
  logger?: Logger;
  clock?: Clock;
  /** Executors to offer instead of the defaults (command, http). */
  executors?: Executor[];
  /**
   * Extra gRPC options for the channel to the master. Workers in one process
   * share one connection by default (grpc-js pools subchannels per target);
   * the simulator gives each simulated node its own, as separate machines have.
   */
  masterChannelOptions?: grpc.ChannelOptions;
  /**
   * Metrics to record into instead of the worker's own. Each WorkerMetrics
   * collects the process's default metrics (with its own event-loop and GC
   * observers), so many workers in one process (the simulator) share one.
   */
  metrics?: WorkerMetrics;
  /**
   * false: serve only Execute, not the Dispatch stream, as a worker of
   * another implementation may (tests of that contract; see execution_service.proto).
   * @default true
   */
  serveDispatch?: boolean;
  /**
   * Where the node secret is kept between restarts instead of
   * `<state-dir>/node-secret` (the simulator keeps its nodes' in memory).
   */
  nodeSecrets?: NodeSecretStore;
}

export interface WorkerAddress {
  id: string;
  port: number;
  /** null when the worker serves no HTTP. */
  httpPort: number | null;
  advertiseAddress: string;
}

/**
 * The worker process as an object: serves ExecutionService, registers with
 * the master and heartbeats. `stop()` drains: it takes no new work, lets
 * running tasks finish (up to the drain timeout), hands results over and
 * deregisters.
 */
export class Worker {
  readonly #input: WorkerOptions;
  #log: Logger;
  readonly #clock: Clock;
  readonly #executors: Executor[];
  readonly #masterChannelOptions: grpc.ChannelOptions;
  readonly #serveDispatch: boolean;
  readonly #nodeSecrets: NodeSecretStore | undefined;
  /** Read and checked at construction: a bad file stops the worker before it binds. */
  readonly #tls: TlsSetup;
  #dispatchSessions: DispatchSessions | null = null;
  #options: CompiledWorkerOptions | null = null;
  #runner: TaskRunner | null = null;
  #agent: Agent | null = null;
  #fence: Fence | null = null;
  #server: grpc.Server | null = null;
  #http: WorkerHttpServer | null = null;
  readonly metrics: WorkerMetrics;
  #setServing: ((status: 'SERVING' | 'NOT_SERVING') => void) | null = null;
  #stopping: Promise<void> | null = null;

  constructor(options: WorkerOptions = {}, deps: WorkerDeps = {}) {
    // Validate early (with the configured port) so bad flags fail before binding.
    const draft = compileWorkerOptions(options);
    this.#input = options;
    this.#log = deps.logger ?? pino({ level: 'info' });
    this.#clock = deps.clock ?? systemClock;
    this.#tls = loadTlsFiles(draft.tls, this.#clock.now());
    this.#executors = deps.executors ?? defaultExecutors(httpTargetPolicy(draft));
    this.metrics =
      deps.metrics ??
      new WorkerMetrics(() => {
        const runner = this.#runner;
        return runner
          ? {
              running: runner.running,
              maxTasks: this.#options?.maxTasks ?? 0,
              draining: runner.draining,
              fenced: runner.fenced,
            }
          : null;
      });
    this.#masterChannelOptions = deps.masterChannelOptions ?? {};
    this.#serveDispatch = deps.serveDispatch ?? true;
    this.#nodeSecrets = deps.nodeSecrets;
  }

  get id(): string {
    return this.#options?.id ?? '';
  }

  /** The bound HTTP port; null when the worker serves no HTTP (or has not started). */
  get httpPort(): number | null {
    return this.#http?.port ?? null;
  }

  get runner(): TaskRunner | null {
    return this.#runner;
  }

  async start(): Promise<WorkerAddress> {
    const draft = compileWorkerOptions(this.#input);
    const runner = new TaskRunner({
      executors: this.#executors,
      clock: this.#clock,
      logger: this.#log,
      maxTasks: draft.maxTasks,
      outputLimitBytes: draft.outputLimitBytes,
      killGraceMs: draft.killGraceMs,
      retainedOutputBytes: draft.retainedOutputBytes,
      memoryBytes: draft.memoryBytes,
      observer: this.metrics.observer,
      commands: new CommandPolicy({ allow: draft.allowCommands, deny: draft.denyCommands }, "this worker's"),
    });
    // Made fresh by every worker process and handed to the master in Register: only that master may call us.
    const executionSecret = randomBytes(32).toString('base64url');
    const server = createServer({
      interceptors: draft.auth === 'tokens' ? [this.#interceptor(executionSecret, draft.id || 'worker')] : [],
    });
    this.#setServing = addHealthAndReflection(server, WORKER_SERVICE_NAMES);
    // The highest leadership epoch seen, shared by the agent (answers) and the server (orders).
    const epochs = new MasterEpoch(this.#log);
    this.#dispatchSessions = addExecutionService(server, runner, this.#log, this.#serveDispatch, epochs);
    const host = draft.host.includes(':') ? `[${draft.host}]` : draft.host;
    const port = await bindServer(server, `${host}:${draft.port}`, this.#tls.server);
    // The default id and advertise address depend on the port the OS picked.
    const options = compileWorkerOptions(this.#input, port);
    const nodeSecrets = this.#nodeSecrets ?? new NodeSecretFile(options.stateDir);
    let nodeSecret: string;
    try {
      nodeSecret = keptNodeSecret(nodeSecrets);
    } catch (error) {
      server.forceShutdown();
      throw error;
    }
    runner.nodeId = options.id;
    // From here on every line says which node it is about.
    this.#log = this.#log.child({ nodeId: options.id });
    this.#options = options;
    this.#runner = runner;
    this.#server = server;
    // Before registering: say what isolation jobs get, and kill what a previous run of this worker left.
    try {
      for (const executor of this.#executors) {
        const lost = await executor.start?.({ nodeId: options.id, stateDir: options.stateDir, logger: this.#log });
        if (lost?.length) runner.adoptLost(lost);
      }
    } catch (error) {
      server.forceShutdown();
      throw error;
    }
    this.#setServing('SERVING');

    // Every heartbeat must be answered within the call timeout: that checks the connection to the master
    // more often than a keepalive ping would, so pings here are only a backstop (they cost the master).
    const tls = this.#tls.client;
    const masters = new MasterList(
      masterAddresses(options.masterAddress),
      (address) =>
        new v1.NodeService(
          address,
          createChannelCredentials(tls, address),
          withBearerToken(
            withTls(
              { ...CHANNEL_OPTIONS, 'grpc.keepalive_time_ms': 60_000, ...this.#masterChannelOptions },
              tls,
              address,
            ),
            options.token,
          ),
        ),
    );
    const fence = new Fence({
      clock: this.#clock,
      logger: this.#log,
      afterMs: options.fenceAfterMs,
      onFence: (silentMs) => runner.fence(silentMs),
      onRestored: () => runner.unfence(),
    });
    this.#fence = fence;
    this.#agent = new Agent({
      masters,
      epochs,
      runner,
      clock: this.#clock,
      logger: this.#log,
      heartbeatIntervalMs: options.heartbeatIntervalMs,
      callTimeoutMs: options.callTimeoutMs,
      retryBaseMs: 250,
      retryCapMs: 10_000,
      fence,
      nodeSecret,
      nodeSecrets,
      masterTls: tls !== null,
      registration: {
        nodeId: options.id,
        address: options.advertiseAddress,
        capabilities: runner.capabilities(),
        taskConfigSchemas: runner.taskConfigSchemas(),
        maxTasks: options.maxTasks,
        labels: options.labels,
        cpus: options.cpus,
        memoryBytes: options.memoryBytes,
        weight: options.weight,
        version: WORKER_VERSION,
        executionSecret,
      },
    });
    let httpPort: number | null = null;
    if (options.httpPort !== null) {
      const agent = this.#agent;
      this.#http = new WorkerHttpServer({
        host: draft.host,
        port: options.httpPort,
        logger: this.#log,
        metrics: this.metrics,
        readiness: () => {
          const checks = {
            master: agent.registered ? 'registered' : 'not registered',
            draining: runner.draining ? 'yes' : 'no',
            fenced: runner.fenced ? 'yes' : 'no',
          };
          return { ready: agent.registered && !runner.draining && !runner.fenced, checks };
        },
      });
      httpPort = await this.#http.start();
    }
    this.#agent.start();
    const serving = this.#tls.server;
    this.#log.info(
      {
        port,
        httpPort,
        advertiseAddress: options.advertiseAddress,
        master: options.masterAddress,
        tls: serving ? (serving.clientCa ? 'mtls' : 'tls') : 'off',
      },
      'worker listening',
    );
    if (options.auth === 'none') {
      this.#log.warn(
        '*** AUTHENTICATION IS OFF (--auth none): anyone who reaches this worker can run any command on it ***',
      );
    }
    if (!serving && !/^(127\.|::1$|localhost$)/.test(options.host)) {
      this.#log.warn(
        { host: options.host },
        'listening beyond this machine without TLS: job specs and output cross the network unencrypted',
      );
    }
    return { id: options.id, port, httpPort, advertiseAddress: options.advertiseAddress };
  }

  /** Lets through the master that presents `secret` (what this worker handed it in Register), and nobody else. */
  #interceptor(secret: string, nodeId: string): grpc.ServerInterceptor {
    const expected = Buffer.from(secret);
    const master = Object.freeze({ name: 'master', role: 'master' as const, credentialId: 'master' });
    const refusals = new RefusalLog({ logger: this.#log.child({ nodeId }), clock: this.#clock });
    return authInterceptor({
      authenticate: (credential): Authentication => {
        const presented = Buffer.from(credential ?? '');
        if (presented.length === expected.length && timingSafeEqual(presented, expected))
          return { ok: true, caller: master };
        return {
          ok: false,
          reason: `this worker serves only the master it registered with${credential ? '; the credential does not match' : ''}`,
        };
      },
      refused: (refusal) => refusals.note(refusal),
    });
  }

  /** Graceful: drain, wait for running tasks (up to the drain timeout), report, deregister. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    const runner = this.#runner;
    const agent = this.#agent;
    const options = this.#options;
    if (!runner || !agent || !options || !this.#server) return;
    this.#setServing?.('NOT_SERVING');
    runner.drain();
    this.#log.info({ running: runner.running }, 'draining');
    const deadline = this.#clock.now() + options.drainTimeoutMs;
    await agent.heartbeat().catch(() => {});
    const drained = await Promise.race([
      runner.whenIdle().then(() => true),
      new Promise<boolean>((resolve) => this.#clock.setTimeout(() => resolve(false), options.drainTimeoutMs)),
    ]);
    if (!drained) {
      this.#log.warn(
        { running: runner.running, drainTimeoutMs: options.drainTimeoutMs },
        'drain timeout; killing running tasks',
      );
      runner.killAll();
      await runner.whenIdle();
    }
    await this.#handOver(agent, runner, deadline);
    this.#fence?.stop();
    await agent.leave().catch((error: unknown) => this.#log.warn({ err: error }, 'could not deregister'));
    await agent.stop();
    // The master's Dispatch stream stays open for new work: end it, or the graceful shutdown would wait it out.
    this.#dispatchSessions?.closeAll();
    await shutdownServer(this.#server, 2000);
    await this.#http?.stop();
    for (const executor of this.#executors) executor.stop?.();
    this.#log.info('worker stopped');
  }

  /**
   * Hands the last results over before leaving: the master acknowledges them
   * in a heartbeat reply once they are durable. A master that is away (a
   * restart) is waited for until the drain deadline, since a result this
   * worker drops is lost for good.
   */
  async #handOver(agent: Agent, runner: TaskRunner, deadline: number): Promise<void> {
    let waiting = false;
    while (runner.unacknowledged > 0) {
      await agent.heartbeat().catch(() => {});
      if (runner.unacknowledged === 0) return;
      const left = deadline - this.#clock.now();
      if (left <= 0) {
        this.#log.error(
          { unacknowledged: runner.unacknowledged },
          'drain timeout; leaving with results the master has not taken',
        );
        return;
      }
      if (!waiting) {
        waiting = true;
        this.#log.warn(
          { unacknowledged: runner.unacknowledged, waitMs: left },
          'waiting for the master to take finished results',
        );
      }
      await sleep(this.#clock, Math.min(HAND_OVER_RETRY_MS, left));
    }
  }

  /** Stops at once: kills running tasks without draining or deregistering (tests, fatal errors). */
  async kill(): Promise<void> {
    this.#fence?.stop();
    this.#runner?.killAll();
    await this.#agent?.stop();
    this.#server?.forceShutdown();
    await this.#http?.stop();
    // The helpers kill whatever still runs as they exit.
    for (const executor of this.#executors) executor.stop?.();
  }
}

/**
 * The node's secret: the kept one, or a new one made and kept before the
 * worker first registers (so a Register sent again after a lost answer
 * presents the same secret). A state dir that cannot keep it stops the start.
 */
function keptNodeSecret(secrets: NodeSecretStore): string {
  const kept = secrets.load();
  if (kept) return kept;
  const made = randomBytes(32).toString('base64url');
  secrets.save(made);
  return made;
}
