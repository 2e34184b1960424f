import type { Command } from 'commander';
import { checkJobId, parseInteger } from '@dist-exec/core';
import { noticeResume, writeOut, type CliContext } from '../context.js';
import { droppedNote } from '../format.js';
import { followJob } from './follow.js';

export function registerLogs(program: Command, context: () => CliContext): void {
  program
    .command('logs')
    .description("print a job's output (stdout to stdout, stderr to stderr), byte for byte")
    .argument('<id>', 'job id')
    .option('-f, --follow', 'keep printing until the job finishes')
    .option('--from-offset <n>', 'start at this byte of the output log (to resume)', '0')
    .action(async (id: string, flags: { follow?: boolean; fromOffset: string }) => {
      const ctx = context();
      const tty = process.stderr.isTTY;
      let attempt = 0;
      const last = await followJob(ctx.client, checkJobId(id), {
        fromOffset: parseInteger(flags.fromOffset, '--from-offset', 0, Number.MAX_SAFE_INTEGER),
        follow: flags.follow ?? false,
        onOutput: async (chunk) => {
          if (chunk.attempt !== attempt) {
            if (attempt !== 0 && tty) process.stderr.write(`── attempt ${chunk.attempt} ──\n`);
            attempt = chunk.attempt;
          }
          await writeOut(chunk.stream === 'stdout' ? process.stdout : process.stderr, chunk.data);
        },
        onResume: (offset, error, first) => first && noticeResume(ctx, error, `resuming from byte ${offset}`),
      });
      if (last) process.stderr.write(droppedNote(last));
      if (flags.follow && tty && last)
        process.stderr.write(`job ${last.id} ${last.state}${last.reason ? ` (${last.reason})` : ''}\n`);
    });
}
