import type { Command } from 'commander';
import { describeSpec, formatBytes, formatDuration, isoTime, jobToJson, type JobView } from '@dist-exec/core';
import { writeOut, type CliContext } from '../context.js';
import { details, jobResult } from '../format.js';
import { addHelp } from '../help-text.js';
import { resolveJobId } from './job-ids.js';

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
    `${output}${dropped ? ` (${formatBytes(dropped)} dropped over the limit)` : ''}; dist-exec logs ${job.id}`,
  ]);
  for (const attempt of job.attemptHistory.length > 1 ? job.attemptHistory : []) {
    const outcome = attempt.finishedAtMs
      ? attempt.succeeded
        ? 'succeeded'
        : `${attempt.reason}${attempt.error ? `: ${attempt.error}` : ''}`
      : 'running';
    pairs.push([`Attempt ${attempt.number}`, `${attempt.nodeId}, ${outcome}`]);
  }
  return details(pairs);
}

export function registerStatus(program: Command, context: () => CliContext): void {
  const command = program
    .command('status')
    .description('show a job: state, result, worker, attempts and times')
    .argument('<id>', 'job id, whole or any unique start or end of one (e.g. 7f3a)')
    .option('--json', 'print JSON');
  addHelp(command, ['dist-exec status 0190a4c2-7d3e-7a1b-9c2d-3e4f5a6b7c8d', 'dist-exec status 7c8d --json']);
  command.action(async (text: string, flags: { json?: boolean }) => {
    const client = context().client;
    const job = await client.getJob(await resolveJobId(client, text), { output: true });
    await writeOut(
      process.stdout,
      flags.json ? `${JSON.stringify(jobToJson(job), null, 2)}\n` : `${describeJob(job, Date.now())}\n`,
    );
  });
}
