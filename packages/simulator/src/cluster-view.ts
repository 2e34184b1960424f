import type { DistExecClient } from '@dist-exec/client';
import type { NodeInfo } from '@dist-exec/core';
import type { Master } from '@dist-exec/master';
import type { JobLedger } from './job-ledger.js';

export interface JobCounts {
  pending: number;
  running: number;
  completed: number;
  failed: number;
  cancelled: number;
}

export interface NodeCounts {
  /** Healthy and taking work. */
  healthy: number;
  /** Heartbeating, but the master holds work back until a probe reaches it (a stream broke, a dispatch failed). */
  suspect: number;
  /** Heartbeating, but skipped for a while after repeated dispatch failures (circuit breaker open). */
  skipped: number;
  unhealthy: number;
  lost: number;
  draining: number;
}

export interface ClusterCounts {
  jobs: JobCounts;
  nodes: NodeCounts;
  /** Jobs ready to place now (not waiting out a retry backoff); null when the master does not say. */
  queued: number | null;
}

/** How the simulator sees the master it drives. */
export interface ClusterView {
  counts(): Promise<ClusterCounts>;
}

function emptyNodeCounts(): NodeCounts {
  return { healthy: 0, suspect: 0, skipped: 0, unhealthy: 0, lost: 0, draining: 0 };
}

function countNode(counts: NodeCounts, state: NodeInfo['state'], unavailableReason: string): void {
  if (state === 'LOST') counts.lost += 1;
  else if (state === 'UNHEALTHY') counts.unhealthy += 1;
  else if (state === 'DRAINING') counts.draining += 1;
  else if (unavailableReason.startsWith('suspect')) counts.suspect += 1;
  else if (unavailableReason) counts.skipped += 1;
  else counts.healthy += 1;
}

/** Reads the in-process master directly: cheap enough to call every second with 100,000 jobs. */
export class InProcessView implements ClusterView {
  constructor(
    readonly master: Master,
    readonly ledger: JobLedger,
  ) {}

  async counts(): Promise<ClusterCounts> {
    const { cluster } = this.master;
    const nodes = emptyNodeCounts();
    for (const node of cluster.registry.all()) countNode(nodes, node.state, node.unavailableReason);
    const t = this.ledger.counts.terminal;
    return {
      jobs: {
        pending: cluster.pendingCount,
        running: cluster.runningCount,
        completed: t.COMPLETED,
        failed: t.FAILED,
        cancelled: t.CANCELLED,
      },
      nodes,
      queued: cluster.queue.size,
    };
  }
}

/** Asks a master elsewhere through its API: one GetCluster call per snapshot. */
export class RemoteView implements ClusterView {
  constructor(readonly client: DistExecClient) {}

  async counts(): Promise<ClusterCounts> {
    const cluster = await this.client.getCluster();
    const nodes = emptyNodeCounts();
    for (const node of cluster.nodes) countNode(nodes, node.state, node.unavailableReason);
    const j = cluster.jobs;
    return {
      jobs: {
        pending: j.PENDING,
        running: j.RUNNING,
        completed: j.COMPLETED,
        failed: j.FAILED,
        cancelled: j.CANCELLED,
      },
      nodes,
      queued: cluster.queueByPriority.reduce((sum, p) => sum + p.count, 0),
    };
  }
}
