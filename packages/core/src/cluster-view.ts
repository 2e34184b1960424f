import { escapeControls } from './terminal-text.js';
import { formatBytes, formatDuration } from './durations.js';
import { isoTime, nodeToJson, type NodeJson } from './json-view.js';
import { JOB_STATES, type JobState, type NodeInfo } from './types.js';

/**
 * The cluster at one moment: what the master logs every --snapshot-interval,
 * what `dist-exec cluster` prints and what `GET /api/v1/cluster` answers.
 */
export interface ClusterSnapshot {
  atMs: number;
  masterId: string;
  /** Jobs the master knows, by state (finished ones as far as history is kept). */
  jobs: Record<JobState, number>;
  /** PENDING jobs by priority, highest priority first. */
  queueByPriority: { priority: number; count: number }[];
  nodes: NodeInfo[];
  /** Several masters on one database: each, and which leads (absent or empty for a master on its own). */
  masters?: MasterInfo[];
}

/** One master of several sharing a PostgreSQL database. */
export interface MasterInfo {
  /** Unique per master process. */
  id: string;
  /** Its gRPC address as given to clients. */
  address: string;
  leader: boolean;
  /** The lease epoch it leads under (0 when it follows). */
  epoch: number;
  /** Since when it leads, ms since the epoch (0 when it follows). */
  leaderSinceMs: number;
  /** How long ago the leader renewed its lease, or a follower was last seen, in ms. */
  leaseAgeMs: number;
}

export interface UsedTotal {
  used: number;
  total: number;
}

export interface Utilization {
  slots: UsedTotal;
  cpus: UsedTotal;
  memoryBytes: UsedTotal;
}

export interface ClusterJson {
  at: string;
  masterId: string;
  jobs: Record<JobState, number>;
  queue: { depth: number; byPriority: { priority: number; count: number }[] };
  utilization: Utilization;
  /** As `nodes --json`, with the age of the last heartbeat when the snapshot was taken. */
  nodes: (NodeJson & { heartbeatAgeMs: number })[];
  /** Several masters on one database: each, the leader with its epoch, since when, and its lease's age. */
  masters: {
    id: string;
    address: string;
    leader: boolean;
    epoch: number;
    leaderSince: string | null;
    leaseAgeMs: number;
  }[];
}

/** Nodes that count for capacity: not LOST. */
export function utilizationOf(nodes: readonly NodeInfo[]): Utilization {
  const u: Utilization = {
    slots: { used: 0, total: 0 },
    cpus: { used: 0, total: 0 },
    memoryBytes: { used: 0, total: 0 },
  };
  for (const node of nodes) {
    if (node.state === 'LOST') continue;
    u.slots.used += node.activeTasks;
    u.slots.total += node.maxTasks;
    u.cpus.used += node.usedCpus;
    u.cpus.total += node.cpus;
    u.memoryBytes.used += node.usedMemoryBytes;
    u.memoryBytes.total += node.memoryBytes;
  }
  u.cpus.used = Number(u.cpus.used.toFixed(3));
  return u;
}

export function emptyJobCounts(): Record<JobState, number> {
  return Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<JobState, number>;
}

export function clusterToJson(snapshot: ClusterSnapshot): ClusterJson {
  return {
    at: isoTime(snapshot.atMs) ?? '',
    masterId: snapshot.masterId,
    jobs: { ...emptyJobCounts(), ...snapshot.jobs },
    queue: { depth: snapshot.queueByPriority.reduce((n, p) => n + p.count, 0), byPriority: snapshot.queueByPriority },
    utilization: utilizationOf(snapshot.nodes),
    nodes: snapshot.nodes.map((node) => ({
      ...nodeToJson(node),
      heartbeatAgeMs: Math.max(0, snapshot.atMs - node.lastHeartbeatMs),
    })),
    masters: (snapshot.masters ?? []).map((m) => ({
      id: m.id,
      address: m.address,
      leader: m.leader,
      epoch: m.epoch,
      leaderSince: m.leader ? (isoTime(m.leaderSinceMs) ?? null) : null,
      leaseAgeMs: m.leaseAgeMs,
    })),
  };
}

function percent(part: UsedTotal): string {
  return part.total > 0 ? ` (${Math.round((part.used / part.total) * 100)}%)` : '';
}

/**
 * The snapshot as a few lines a person reads (`dist-exec cluster`): totals,
 * then one line per node.
 */
export function describeCluster(snapshot: ClusterSnapshot): string {
  const json = clusterToJson(snapshot);
  const u = json.utilization;
  const jobs = JOB_STATES.map((s) => `${s.toLowerCase()} ${json.jobs[s]}`).join(', ');
  const queue =
    json.queue.byPriority.length > 1
      ? ` (${json.queue.byPriority.map((p) => `priority ${p.priority}: ${p.count}`).join(', ')})`
      : '';
  const lines = [
    `Jobs:      ${jobs}`,
    `Queue:     ${json.queue.depth} pending${queue}`,
    `Slots:     ${u.slots.used}/${u.slots.total} used${percent(u.slots)}`,
    `CPU:       ${Number(u.cpus.used.toFixed(2))}/${u.cpus.total} reserved${percent(u.cpus)}`,
    `Memory:    ${formatBytes(u.memoryBytes.used)}/${formatBytes(u.memoryBytes.total)} reserved${percent(u.memoryBytes)}`,
    `Nodes:     ${json.nodes.length === 0 ? 'none registered' : summarizeStates(json.nodes)}`,
  ];
  if (json.masters.length > 0) {
    const leader = json.masters.find((m) => m.leader);
    lines.splice(
      0,
      0,
      `Masters:   ${json.masters.length}, ${leader ? `${leader.address} leads (epoch ${leader.epoch} since ${leader.leaderSince}, lease renewed ${formatDuration(leader.leaseAgeMs)} ago)` : 'none leads'}`,
      ...json.masters.map(
        (m) =>
          `  ${m.address}  ${m.leader ? `leader  epoch ${m.epoch}` : 'follower'}  ${m.leader ? 'renewed' : 'seen'} ${formatDuration(m.leaseAgeMs)} ago  ${m.id}`,
      ),
    );
  }
  for (const node of json.nodes) {
    const note =
      node.unavailableReason && node.state === 'HEALTHY' ? `  (${escapeControls(node.unavailableReason)})` : '';
    lines.push(
      `  ${escapeControls(node.id)}  ${node.state}  tasks ${node.activeTasks}/${node.maxTasks}  cpu ${Number(node.usedCpus.toFixed(2))}/${node.cpus}  ` +
        `mem ${formatBytes(node.usedMemoryBytes)}/${formatBytes(node.memoryBytes)}  heartbeat ${formatDuration(node.heartbeatAgeMs)} ago${note}`,
    );
  }
  return lines.join('\n');
}

function summarizeStates(nodes: readonly NodeJson[]): string {
  const counts = new Map<string, number>();
  for (const node of nodes) counts.set(node.state, (counts.get(node.state) ?? 0) + 1);
  return [...counts].map(([state, n]) => `${n} ${state.toLowerCase()}`).join(', ');
}
