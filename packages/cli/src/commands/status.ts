import type { Command } from 'commander';
import {
  checkJobId,
  describeSpec,
  formatBytes,
  formatDuration,
  isoTime,
  jobToJson,
  type Attempt,
  type JobView,
} from '@dist-exec/core';
import { writeOut, type CliContext } from '../context.js';
import { details, jobResult } from '../format.js';

export function describeJob(job: JobView, nowMs: number): string {
  const pairs: [string, string][] = [
    ['ID', job.id],
    ['State', job.state],
    ['Command', describeSpec(job.spec)],
  ];
  const result = jobResult(job);
  if (result) pairs.push(['Result', result]);
  if (job.reason) pairs.push(['Reason', job.reason]);
  if (job.error) pairs.push(['Error', job.error]);
  if (job.pendingReason && job.state === 'PENDING') pairs.push(['Waiting', job.pendingReason]);
  pairs.push(['Worker', job.workerId ?? '-']);
  pairs.push(['Submitted by', job.submittedBy || '-']);
  if (job.cancelledBy) pairs.push(['Cancelled by', job.cancelledBy]);
  pairs.push([
    'Attempts',
    job.spec.maxRetries ? `${job.attempts} of at most ${job.spec.maxRetries + 1}` : String(job.attempts),
  ]);
  pairs.push(['Priority', String(job.spec.priority)]);
  if (job.spec.user) pairs.push(['User', job.spec.user]);
  const usage = attemptUsage(job.attemptHistory[job.attemptHistory.length - 1]);
  const asked = memoryAsked(job);
  if (asked || usage) pairs.push(['Resources', [asked, usage].filter(Boolean).join('; ')]);
  if (job.spec.timeoutMs) pairs.push(['Timeout', formatDuration(job.spec.timeoutMs)]);
  pairs.push(['Created', isoTime(job.createdAtMs) ?? '-']);
  if (job.startedAtMs) pairs.push(['Started', isoTime(job.startedAtMs) ?? '-']);
  if (job.finishedAtMs) pairs.push(['Finished', isoTime(job.finishedAtMs) ?? '-']);
  if (job.startedAtMs) pairs.push(['Runtime', formatDuration((job.finishedAtMs ?? nowMs) - job.startedAtMs)]);
  const labels = Object.entries(job.spec.labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  if (labels) pairs.push(['Labels', labels]);
  // Names only: the values may be secrets, and reads do not return them.
  const env = job.envNames ?? Object.keys(job.spec.env);
  if (env.length) pairs.push(['Env', env.join(', ')]);
  const output = `${formatBytes(job.stdout?.length ?? 0)} stdout, ${formatBytes(job.stderr?.length ?? 0)} stderr`;
  const dropped = job.stdoutDroppedBytes + job.stderrDroppedBytes;
  pairs.push([
    'Output',
    `${output}${dropped ? ` (${formatBytes(dropped)} from the middle dropped over the output limit)` : ''}; dist-exec logs ${job.id}`,
  ]);
  for (const attempt of job.attemptHistory.length > 1 ? job.attemptHistory : []) {
    const outcome = attempt.finishedAtMs
      ? attempt.succeeded
        ? 'succeeded'
        : `${attempt.reason}${attempt.error ? `: ${attempt.error}` : ''}`
      : 'running';
    const used = attemptUsage(attempt);
    pairs.push([`Attempt ${attempt.number}`, `${attempt.nodeId}, ${outcome}${used ? ` (${used})` : ''}`]);
  }
  return details(pairs);
}

/** What the job asked for: "cpu 0.5, memory 256 MiB (limit 1 GiB)"; '' when nothing. */
function memoryAsked(job: JobView): string {
  const { cpu, memoryBytes, memoryLimitBytes } = job.spec;
  const parts: string[] = [];
  if (cpu) parts.push(`cpu ${cpu}`);
  if (memoryBytes) parts.push(`memory ${formatBytes(memoryBytes)}`);
  if (memoryLimitBytes) parts.push(`memory limit ${formatBytes(memoryLimitBytes)}`);
  return parts.length ? `asked ${parts.join(', ')}` : '';
}

/** What an attempt used, as measured on its worker: "peak memory 12 MiB, cpu time 40ms"; '' when not measured. */
export function attemptUsage(attempt: Attempt | undefined): string {
  if (!attempt) return '';
  const parts: string[] = [];
  if (attempt.peakMemoryBytes) parts.push(`peak memory ${formatBytes(attempt.peakMemoryBytes)}`);
  if (attempt.cpuTimeMs) parts.push(`cpu time ${formatDuration(attempt.cpuTimeMs)}`);
  return parts.join(', ');
}

export function registerStatus(program: Command, context: () => CliContext): void {
  program
    .command('status')
    .description('show a job: state, result, worker, attempts and times')
    .argument('<id>', 'job id')
    .option('--json', 'print JSON')
    .action(async (id: string, flags: { json?: boolean }) => {
      const job = await context().client.getJob(checkJobId(id), { output: true });
      await writeOut(
        process.stdout,
        flags.json ? `${JSON.stringify(jobToJson(job), null, 2)}\n` : `${describeJob(job, Date.now())}\n`,
      );
    });
}
