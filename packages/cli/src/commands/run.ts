import type { Command } from 'commander';
import { describeSpec, InvalidArgumentError, jobToJson } from '@dist-exec/core';
import { noticeResume, writeOut, type CliContext } from '../context.js';
import { droppedNote } from '../format.js';
import { arraySpecs, runMany } from './array.js';
import { exitStatusFor } from './exit-status.js';
import { followJob } from './follow.js';
import { addJobSpecOptions, jobSpecFromFlags, type JobSpecFlags } from './job-spec-flags.js';

interface RunFlags extends JobSpecFlags {
  detach?: boolean;
  json?: boolean;
  wait?: boolean;
  array?: string;
}

export function registerRun(program: Command, context: () => CliContext): void {
  const command = program
    .command('run')
    .description('run a command on the cluster, stream its output, and exit with its exit code')
    .argument('[command...]', 'shell command (quote it), or a program and arguments with --argv')
    .option('-d, --detach', 'print the job id and return at once')
    .option('--json', 'wait, then print the finished job as JSON instead of streaming output')
    .option(
      '--array <indices>',
      'a job per index, e.g. 1-1000, 0-30:10 or 1,4,9; the index is in $DIST_EXEC_ARRAY_INDEX',
    )
    .option('--wait', 'wait for the job(s) without printing their output: failures and a summary on stderr');
  addJobSpecOptions(command).action(async (words: string[], flags: RunFlags) => {
    const ctx = context();
    if (flags.detach && flags.wait)
      throw new InvalidArgumentError('--detach and --wait: choose one', { field: '--wait' });
    const spec = jobSpecFromFlags(words, flags);
    if (flags.array !== undefined || flags.wait) {
      process.exitCode = await runMany(ctx, flags.array !== undefined ? arraySpecs(spec, flags.array) : [spec], flags);
      return;
    }
    if (flags.detach) {
      const { job } = await ctx.client.submit(spec);
      await writeOut(process.stdout, `${job.id}\n`);
      return;
    }
    // One RunJob call submits the job and streams it; a detach also ends that call.
    const detach = new AbortController();
    const events = ctx.client.run(spec, { noOutput: flags.json ?? false, signal: detach.signal });
    const first = await events.next();
    if (first.done || first.value.type !== 'submitted')
      throw new Error('the master answered RunJob without the submitted job');
    const { job } = first.value;
    const tty = process.stderr.isTTY;
    if (tty && !flags.json) process.stderr.write(`job ${job.id} submitted: ${describeSpec(job.spec)}\n`);

    // First Ctrl-C cancels the job (its output and final state still arrive); a second one detaches.
    let interrupts = 0;
    const onInterrupt = (): void => {
      interrupts += 1;
      if (interrupts > 1) {
        process.stderr.write(`\ndetached; the job goes on: dist-exec status ${job.id}\n`);
        detach.abort();
        return;
      }
      process.stderr.write(`\ncancelling job ${job.id} (Ctrl-C again to detach)\n`);
      ctx.client.cancel(job.id).catch(() => {});
    };
    process.on('SIGINT', onInterrupt);
    let attempt = 0;
    try {
      const last = await followJob(ctx.client, job.id, {
        opened: events,
        fromOffset: 0,
        follow: true,
        noOutput: flags.json ?? false,
        signal: detach.signal,
        onOutput: (chunk) => writeOut(chunk.stream === 'stdout' ? process.stdout : process.stderr, chunk.data),
        onJob: (update) => {
          if (update.attempts > attempt && update.state === 'RUNNING') {
            if (attempt > 0 && tty) process.stderr.write(`── attempt ${update.attempts} on ${update.workerId} ──\n`);
            attempt = update.attempts;
          }
        },
        onResume: (offset, error, first) => first && noticeResume(ctx, error, `resuming from byte ${offset}`),
      });
      if (detach.signal.aborted || !last) {
        process.exitCode = 125;
        return;
      }
      if (!flags.json) process.stderr.write(droppedNote(last));
      if (flags.json) {
        const full = await ctx.client.getJob(job.id, { output: true });
        await writeOut(process.stdout, `${JSON.stringify(jobToJson(full), null, 2)}\n`);
      } else if (tty && last.state !== 'COMPLETED') {
        process.stderr.write(
          `job ${job.id} ${last.state}${last.reason ? ` (${last.reason})` : ''}${last.error ? `: ${last.error}` : ''}\n`,
        );
      }
      process.exitCode = exitStatusFor(last);
    } finally {
      process.off('SIGINT', onInterrupt);
    }
  });
}
