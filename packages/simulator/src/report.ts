import { formatDuration } from '@dist-exec/core';
import type { ClusterCounts, JobCounts } from './cluster-view.js';
import type { LedgerCounts } from './job-ledger.js';
import type { ExecutionStats } from './simulated-executor.js';

/** One line of progress while the cluster converges. */
export interface Snapshot extends ClusterCounts {
  elapsedMs: number;
  /** Jobs that reached a terminal state per second since the previous snapshot. */
  finishedPerSecond: number;
  crashes: number;
  /** Simulated nodes that are down right now (crashed, not restarted yet). */
  nodesDown: number;
}

export interface Check {
  /** null: could not be checked (the master runs elsewhere). */
  ok: boolean | null;
  message: string;
}

export interface Summary {
  master: string;
  nodes: number;
  maxTasks: number;
  heartbeatIntervalMs: number;
  jobs: number;
  jobDurationMs: number;
  failRate: number;
  /** From the first node start to every node registered. */
  startupMs: number;
  /** From the first submit to the last job accepted. */
  submitMs: number;
  /** From the first submit to every job terminal; null when the run ended before. */
  convergeMs: number | null;
  /** Jobs over convergeMs; null when not converged. */
  jobsPerSecond: number | null;
  interrupted: boolean;
  final: JobCounts;
  /** The master's own books, when it ran in this process. */
  ledger: LedgerCounts | null;
  crashes: number;
  restarts: number;
  executions: Pick<ExecutionStats, 'started' | 'succeeded' | 'stopped' | 'lostInCrash'>;
  check: Check;
}

function pad(value: number | string, width: number): string {
  return String(value).padStart(width);
}

export function formatSnapshot(s: Snapshot): string {
  const j = s.jobs;
  const n = s.nodes;
  const done = j.completed + j.failed + j.cancelled;
  const queued = s.queued === null ? '' : ` (${s.queued} queued)`;
  return [
    `${pad(formatDuration(s.elapsedMs), 6)}`,
    `jobs: ${pad(done, 7)} done (${pad(Math.round(s.finishedPerSecond), 5)}/s) ${pad(j.running, 5)} running ${pad(j.pending, 7)} pending${queued}${j.failed ? ` ${j.failed} failed` : ''}`,
    `| nodes: ${n.healthy} healthy${n.suspect ? ` ${n.suspect} suspect` : ''}${n.skipped ? ` ${n.skipped} skipped` : ''}${n.unhealthy ? ` ${n.unhealthy} unhealthy` : ''}${n.lost ? ` ${n.lost} lost` : ''}${n.draining ? ` ${n.draining} draining` : ''}`,
    s.crashes ? `| crashes: ${s.crashes} (${s.nodesDown} down)` : '',
  ]
    .filter(Boolean)
    .join('  ');
}

export function formatSummary(s: Summary): string {
  const lines: string[] = [];
  const row = (label: string, text: string): void => {
    lines.push(`  ${label.padEnd(15)} ${text}`);
  };
  lines.push(s.interrupted ? 'summary (interrupted)' : 'summary');
  row('master', s.master);
  row(
    'nodes',
    `${s.nodes} × ${s.maxTasks} tasks, heartbeat every ${formatDuration(s.heartbeatIntervalMs)}; all registered in ${formatDuration(s.startupMs)}`,
  );
  if (s.jobs > 0) {
    row('jobs', `${s.jobs} × ~${formatDuration(s.jobDurationMs)}, submitted in ${formatDuration(s.submitMs)}`);
    row(
      'converged',
      s.convergeMs === null
        ? 'no (stopped before every job was terminal)'
        : `in ${formatDuration(s.convergeMs)}: ${Math.round(s.jobsPerSecond ?? 0)} jobs/s`,
    );
    const f = s.final;
    row(
      'final states',
      `${f.completed} completed, ${f.failed} failed, ${f.cancelled} cancelled, ${f.running} running, ${f.pending} pending`,
    );
    if (s.ledger) {
      const l = s.ledger;
      const failed = Object.entries(l.failedBy)
        .map(([reason, count]) => `${count} ${reason}`)
        .join(', ');
      row(
        'attempts',
        `${l.attempts} for ${l.submitted} jobs: ${l.retriedAfterNodeFailure} retried after their node failed, ${l.retriedAfterFailure} after other failures, ${l.requeuedUnstarted} requeued before they started`,
      );
      if (failed) row('failed by', failed);
    }
  }
  row(
    'node failures',
    s.failRate > 0
      ? `${s.crashes} crashes injected (fail rate ${s.failRate}/node/s), ${s.restarts} restarts`
      : 'none injected (--fail-rate 0)',
  );
  const e = s.executions;
  row(
    'on the nodes',
    `${e.started} runs started, ${e.succeeded} succeeded, ${e.stopped} stopped by the master, ${e.lostInCrash} lost in crashes`,
  );
  row('check', `${s.check.ok === null ? 'not checked' : s.check.ok ? 'OK' : 'FAILED'}: ${s.check.message}`);
  return lines.join('\n');
}
