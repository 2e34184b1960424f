import { emptyJobCounts, type ClusterSnapshot, type Clock, type JobState, type MasterInfo } from '@dist-exec/core';
import type { ClusterState } from './cluster-state.js';
import { pendingByPriority } from './metrics.js';
import type { NodeManager } from './nodes/node-manager.js';
import type { Store } from './store/store.js';

export interface SnapshotSources {
  cluster: ClusterState;
  nodes: NodeManager;
  store: Store;
  clock: Clock;
  masterId: string;
  /** The masters sharing the database, when there are several (read from it). */
  masters?: () => Promise<MasterInfo[]>;
}

const FINISHED: readonly JobState[] = ['COMPLETED', 'FAILED', 'CANCELLED'];

/**
 * The cluster now. Active jobs are counted in memory; finished ones in the
 * store (an indexed count), so this is cheap enough to take every few seconds.
 */
export async function takeSnapshot(sources: SnapshotSources): Promise<ClusterSnapshot> {
  const { cluster } = sources;
  const jobs = emptyJobCounts();
  jobs.PENDING = cluster.pendingCount;
  jobs.RUNNING = cluster.runningCount;
  for (const state of FINISHED) jobs[state] = await sources.store.countJobs([state]);
  const queueByPriority = [...pendingByPriority(cluster.activeJobs())]
    .map(([priority, count]) => ({ priority, count }))
    .sort((a, b) => b.priority - a.priority);
  const snapshot: ClusterSnapshot = {
    atMs: sources.clock.now(),
    masterId: sources.masterId,
    jobs,
    queueByPriority,
    nodes: sources.nodes.list(),
  };
  if (sources.masters) snapshot.masters = await sources.masters();
  return snapshot;
}
