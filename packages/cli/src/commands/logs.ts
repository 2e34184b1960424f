import type { Command } from 'commander';
import { parseInteger } from '@dist-exec/core';
import { noticeResume, writeOut, type CliContext } from '../context.js';
import { addHelp } from '../help-text.js';
import { droppedNote } from '../format.js';
import { followJob } from './follow.js';
import { resolveJobId } from './job-ids.js';

export function registerLogs(program: Command, context: () => CliContext): void {
  const command = program
    .command('logs')
    .description("print a job's output (stdout to stdout, stderr to stderr), byte for byte")
    .argument('<id>', 'job id, whole or any unique start or end of one (e.g. 7f3a)')
    .option('-f, --follow', 'keep printing until the job finishes')
    .option('--from-offset <n>', 'start at this byte of the output log, to resume (default: 0)');
  addHelp(command, [
    'dist-exec logs 7c8d',
    'dist-exec logs -f 7c8d > build.log',
    'dist-exec logs --from-offset 4096 7c8d',
  ]);
  command.action(async (text: string, flags: { follow?: boolean; fromOffset?: string }) => {
    const ctx = context();
    const id = await resolveJobId(ctx.client, text);
    const tty = process.stderr.isTTY;
    let attempt = 0;
    const last = await followJob(ctx.client, id, {
      fromOffset: parseInteger(flags.fromOffset ?? '0', '--from-offset', 0, Number.MAX_SAFE_INTEGER),
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
