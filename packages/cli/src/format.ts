import { formatBytes, formatDuration, type Job, type JobView, type NodeInfo } from '@dist-exec/core';

/** Plain text tables: columns padded to their widest cell, no borders. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

export function ago(ms: number | null, nowMs: number): string {
  if (!ms) return '-';
  const delta = nowMs - ms;
  return delta < 1000 ? 'just now' : `${formatDuration(delta)} ago`;
}

export function shorten(text: string, max: number): string {
  const oneLine = text.replace(/\s+/g, ' ');
  return oneLine.length <= max ? oneLine : `${oneLine.slice(0, max - 1)}…`;
}

function runtime(job: JobView, nowMs: number): string {
  if (!job.startedAtMs) return '-';
  return formatDuration((job.finishedAtMs ?? nowMs) - job.startedAtMs);
}

export function jobResult(job: JobView): string {
  if (job.state === 'COMPLETED') return 'exit 0';
  if (job.state === 'FAILED')
    return job.reason === 'EXIT_CODE' && job.exitCode !== null ? `exit ${job.exitCode}` : (job.reason ?? '');
  return job.state === 'CANCELLED' ? 'cancelled' : '';
}

export function jobsTable(jobs: readonly JobView[], nowMs: number, describe: (job: JobView) => string): string {
  return table(
    ['ID', 'STATE', 'RESULT', 'WORKER', 'TRIES', 'CREATED', 'RUNTIME', 'COMMAND'],
    jobs.map((job) => [
      job.id,
      job.state,
      jobResult(job) || '-',
      job.workerId ?? '-',
      String(job.attempts),
      ago(job.createdAtMs, nowMs),
      runtime(job, nowMs),
      shorten(describe(job), 60),
    ]),
  );
}

export function nodesTable(nodes: readonly NodeInfo[], nowMs: number): string {
  const held = nodes.filter((node) => node.unavailableReason && node.state === 'HEALTHY');
  const notes = held.map((node) => `* ${node.id} takes no new work for now: ${node.unavailableReason}`);
  return [nodesGrid(nodes, nowMs), ...notes].join('\n');
}

function nodesGrid(nodes: readonly NodeInfo[], nowMs: number): string {
  return table(
    ['ID', 'ADDRESS', 'STATE', 'TASKS', 'CPU', 'MEMORY', 'HEARTBEAT', 'LABELS'],
    nodes.map((node) => [
      node.id,
      node.address,
      node.unavailableReason && node.state === 'HEALTHY' ? 'HEALTHY*' : node.state,
      `${node.activeTasks}/${node.maxTasks}`,
      `${Number(node.usedCpus.toFixed(2))}/${node.cpus}`,
      `${formatBytes(node.usedMemoryBytes)}/${formatBytes(node.memoryBytes)}`,
      ago(node.lastHeartbeatMs, nowMs),
      Object.entries(node.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(',') || '-',
    ]),
  );
}

/** One "key: value" per line, keys aligned. */
export function details(pairs: readonly (readonly [string, string])[]): string {
  const width = Math.max(...pairs.map(([k]) => k.length)) + 1;
  return pairs.map(([k, v]) => `${`${k}:`.padEnd(width)} ${v}`).join('\n');
}

/** The stderr line saying a job's output was cut over the output limit; '' when nothing was dropped. */
export function droppedNote(job: Pick<Job, 'id' | 'stdoutDroppedBytes' | 'stderrDroppedBytes'>): string {
  const parts: string[] = [];
  if (job.stdoutDroppedBytes) parts.push(`${formatBytes(job.stdoutDroppedBytes)} of stdout`);
  if (job.stderrDroppedBytes) parts.push(`${formatBytes(job.stderrDroppedBytes)} of stderr`);
  if (!parts.length) return '';
  return `dist-exec: job ${job.id} went over its output limit: ${parts.join(' and ')} dropped from the middle (a [dist-exec: ...] line marks the cut; the head and the tail are kept)\n`;
}
