import type * as grpc from '@grpc/grpc-js';
import { errorMessage, type Clock } from '@dist-exec/core';
import { MemoryNodeSecret, Worker, type WorkerMetrics } from '@dist-exec/worker';
import type { Logger } from 'pino';
import { SimulatedExecutor, type ExecutionStats } from './simulated-executor.js';

export type SimulatedNodeState = 'new' | 'starting' | 'up' | 'down' | 'stopped';

export interface SimulatedNodeOptions {
  id: string;
  masterAddress: string;
  token: string;
  heartbeatIntervalMs: number;
  maxTasks: number;
  meanDurationMs: number;
  clock: Clock;
  random: () => number;
  stats: ExecutionStats;
  /** Shared by the fleet. */
  metrics: WorkerMetrics;
  logger: Logger;
}

/**
 * Every node talks to the master over its own connection, as separate
 * machines do; grpc-js would otherwise share one between all nodes in the
 * process, and the master would not see the cost of a thousand peers.
 */
const OWN_CONNECTION: grpc.ChannelOptions = { 'grpc.use_local_subchannel_pool': 1 };

/**
 * One simulated node: a real Worker (agent, task runner, ExecutionService
 * server on its own port) whose only executor waits instead of spawning.
 * `crash()` is a kill -9: its server stops, its heartbeats stop, its Execute
 * streams break and no result leaves it. `restart()` brings it back on the
 * same port, like a restarted worker with a fixed --port, and it registers again.
 */
export class SimulatedNode {
  readonly id: string;
  readonly #options: SimulatedNodeOptions;
  #worker: Worker | null = null;
  #executor: SimulatedExecutor | null = null;
  #port = 0;
  #state: SimulatedNodeState = 'new';
  /** The node secret, kept across crashes as a worker's state dir keeps it. */
  readonly #secret = new MemoryNodeSecret();
  /** The last crash's teardown: a restart waits for it, so the old server has let go of the port. */
  #dying: Promise<void> = Promise.resolve();

  constructor(options: SimulatedNodeOptions) {
    this.#options = options;
    this.id = options.id;
  }

  get state(): SimulatedNodeState {
    return this.#state;
  }

  /** The address the master dials (known once started). */
  get address(): string {
    return `127.0.0.1:${this.#port}`;
  }

  async start(): Promise<void> {
    if (this.#state !== 'new' && this.#state !== 'down') return;
    this.#state = 'starting';
    await this.#dying;
    try {
      await this.#boot(this.#port).catch((error: unknown) => {
        // Another socket took our old port while we were down: come back elsewhere, as a rescheduled worker would.
        if (this.#port === 0 || !/EADDRINUSE|address already in use/i.test(errorMessage(error))) throw error;
        this.#options.logger.warn(
          { nodeId: this.id, port: this.#port },
          'simulated node port taken; restarting on another port',
        );
        return this.#boot(0);
      });
    } catch (error) {
      if (this.#state === 'starting') this.#state = 'down';
      throw error;
    }
  }

  async #boot(port: number): Promise<void> {
    const o = this.#options;
    const executor = new SimulatedExecutor({
      clock: o.clock,
      meanDurationMs: o.meanDurationMs,
      random: o.random,
      stats: o.stats,
    });
    const worker = new Worker(
      {
        masterAddress: o.masterAddress,
        token: o.token,
        host: '127.0.0.1',
        port,
        id: this.id,
        maxTasks: o.maxTasks,
        heartbeatIntervalMs: o.heartbeatIntervalMs,
        // Simulated jobs print nothing; keep the per-node book small.
        retainedOutputBytes: 1024 * 1024,
      },
      {
        logger: o.logger,
        clock: o.clock,
        executors: [executor],
        masterChannelOptions: OWN_CONNECTION,
        metrics: o.metrics,
        nodeSecrets: this.#secret,
      },
    );
    const bound = await worker.start();
    if (this.#state === 'stopped') {
      executor.crash();
      await worker.kill();
      return;
    }
    this.#worker = worker;
    this.#executor = executor;
    this.#port = bound.port;
    this.#state = 'up';
  }

  /** Dies at once, like kill -9 of the worker process. */
  async crash(): Promise<void> {
    if (this.#state !== 'up') return;
    this.#state = 'down';
    this.#executor?.crash();
    const worker = this.#worker;
    this.#worker = null;
    this.#executor = null;
    this.#dying = worker ? worker.kill() : Promise.resolve();
    await this.#dying;
  }

  /** Starts again after a crash; the master learns it from its registration. */
  restart(): Promise<void> {
    return this.start();
  }

  /** Stops for good, without deregistering (the run is over). */
  async stop(): Promise<void> {
    const wasUp = this.#state === 'up';
    this.#state = 'stopped';
    if (!wasUp) return;
    this.#executor?.crash();
    await this.#worker?.kill();
    this.#worker = null;
    this.#executor = null;
  }
}
