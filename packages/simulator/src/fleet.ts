import { sleep, type Clock } from '@dist-exec/core';
import { WorkerMetrics } from '@dist-exec/worker';
import type { Logger } from 'pino';
import { ExecutionStats } from './simulated-executor.js';
import { SimulatedNode, type SimulatedNodeState } from './simulated-node.js';

export interface FleetOptions {
  count: number;
  masterAddress: string;
  /** The worker token the nodes register with. */
  token: string;
  heartbeatIntervalMs: number;
  maxTasks: number;
  meanDurationMs: number;
  clock: Clock;
  random: () => number;
  logger: Logger;
}

/** Node ids sort in start order: sim-0001 … sim-1000. */
export function simulatedNodeId(index: number, count: number): string {
  return `sim-${String(index + 1).padStart(Math.max(4, String(count).length), '0')}`;
}

/** When each of `count` nodes starts, in ms from now, in start order: uniformly spread over `spreadMs`. */
export function startOffsets(count: number, spreadMs: number, random: () => number): number[] {
  return Array.from({ length: count }, () => random() * spreadMs).sort((a, b) => a - b);
}

/** The simulated nodes of one run, all in this process. */
export class Fleet {
  readonly nodes: readonly SimulatedNode[];
  readonly stats = new ExecutionStats();
  /**
   * One registry for the whole fleet: per-node registries would each watch
   * the event loop and GC, which at 1,000 nodes costs the process more than
   * the nodes' heartbeats do.
   */
  readonly metrics = new WorkerMetrics(() => null);
  readonly #options: FleetOptions;
  readonly #stop = new AbortController();

  constructor(options: FleetOptions) {
    this.#options = options;
    this.nodes = Array.from(
      { length: options.count },
      (_, i) =>
        new SimulatedNode({
          id: simulatedNodeId(i, options.count),
          masterAddress: options.masterAddress,
          token: options.token,
          heartbeatIntervalMs: options.heartbeatIntervalMs,
          maxTasks: options.maxTasks,
          meanDurationMs: options.meanDurationMs,
          clock: options.clock,
          random: options.random,
          stats: this.stats,
          metrics: this.metrics,
          logger: options.logger,
        }),
    );
  }

  /**
   * Starts every node at a random moment within `spreadMs`. A node heartbeats
   * one interval after it registers, so spreading the starts over an interval
   * spreads the heartbeats too, as on a real cluster whose machines did not
   * all boot in the same millisecond.
   */
  async start(spreadMs: number): Promise<void> {
    const { clock, random } = this.#options;
    const offsets = startOffsets(this.nodes.length, spreadMs, random);
    const began = clock.now();
    const starting: Promise<void>[] = [];
    for (const [i, node] of this.nodes.entries()) {
      const at = offsets[i] as number;
      const wait = began + at - clock.now();
      if (wait > 0) await sleep(clock, wait, this.#stop.signal).catch(() => {});
      if (this.#stop.signal.aborted) break;
      starting.push(node.start());
    }
    await Promise.all(starting);
  }

  count(state: SimulatedNodeState): number {
    let n = 0;
    for (const node of this.nodes) if (node.state === state) n += 1;
    return n;
  }

  /** Kills every node (no deregistration: the run is over). */
  async stop(): Promise<void> {
    this.#stop.abort();
    await Promise.all(this.nodes.map((node) => node.stop()));
  }
}
