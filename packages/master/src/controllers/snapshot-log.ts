import { clusterToJson, formatBytes, type Clock, type ClusterSnapshot, type Timer } from '@dist-exec/core';
import type { Logger } from 'pino';

/** A log line with a thousand nodes would drown the log: beyond this many, nodes are summed up. */
export const MAX_LOGGED_NODES = 50;

export interface SnapshotLogOptions {
  snapshot(): Promise<ClusterSnapshot>;
  clock: Clock;
  logger: Logger;
  /** 0 = off. */
  intervalMs: number;
}

/**
 * Logs a compact cluster snapshot on a timer (seed 000's periodic "cluster
 * snapshot"): jobs by state, queue depth, utilization, and per node its
 * state, heartbeat age and use. One JSON line, so it can be grepped and graphed.
 */
export class SnapshotLog {
  readonly #options: SnapshotLogOptions;
  readonly #log: Logger;
  #timer: Timer | null = null;
  #stopped = true;

  constructor(options: SnapshotLogOptions) {
    this.#options = options;
    this.#log = options.logger.child({ component: 'snapshot' });
  }

  start(): void {
    if (this.#options.intervalMs <= 0 || !this.#stopped) return;
    this.#stopped = false;
    this.#schedule();
  }

  #schedule(): void {
    this.#timer = this.#options.clock.setTimeout(() => {
      void this.logOnce().finally(() => {
        if (!this.#stopped) this.#schedule();
      });
    }, this.#options.intervalMs);
  }

  /** Takes and logs one snapshot now. */
  async logOnce(): Promise<void> {
    try {
      this.#log.info(compactSnapshot(await this.#options.snapshot()), 'cluster snapshot');
    } catch (error) {
      this.#log.warn({ err: error }, 'could not take a cluster snapshot');
    }
  }

  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#timer = null;
  }
}

/** The snapshot as log fields: totals as numbers, per-node use as short "used/total" strings. */
export function compactSnapshot(snapshot: ClusterSnapshot): Record<string, unknown> {
  const json = clusterToJson(snapshot);
  const u = json.utilization;
  const nodes = json.nodes.slice(0, MAX_LOGGED_NODES).map((n) => ({
    id: n.id,
    state: n.state,
    heartbeatAgeMs: n.heartbeatAgeMs,
    tasks: `${n.activeTasks}/${n.maxTasks}`,
    cpu: `${Number(n.usedCpus.toFixed(2))}/${n.cpus}`,
    memory: `${formatBytes(n.usedMemoryBytes)}/${formatBytes(n.memoryBytes)}`,
    ...(n.unavailableReason ? { unavailable: n.unavailableReason } : {}),
  }));
  const nodesByState: Record<string, number> = {};
  for (const n of json.nodes) nodesByState[n.state] = (nodesByState[n.state] ?? 0) + 1;
  return {
    jobs: json.jobs,
    queueDepth: json.queue.depth,
    queueByPriority: Object.fromEntries(json.queue.byPriority.map((p) => [String(p.priority), p.count])),
    slots: `${u.slots.used}/${u.slots.total}`,
    cpus: `${Number(u.cpus.used.toFixed(2))}/${u.cpus.total}`,
    memory: `${formatBytes(u.memoryBytes.used)}/${formatBytes(u.memoryBytes.total)}`,
    nodesByState,
    nodes,
    ...(json.nodes.length > MAX_LOGGED_NODES ? { nodesNotListed: json.nodes.length - MAX_LOGGED_NODES } : {}),
  };
}
