import type { Command } from 'commander';
import { InvalidArgumentError } from '@dist-exec/core';
import type { CliContext } from '../context.js';
import { Interrupts } from '../interrupts.js';
import { addHelp, JOB_EXITS } from '../help-text.js';
import { resolveJobIds } from './job-ids.js';
import { waitAndReport } from './job-set.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}

export function registerWait(program: Command, context: () => CliContext): void {
  const command = program
    .command('wait')
    .description(
      'wait until jobs have finished (ids as arguments, or one a line on stdin); exit 0 only if all completed',
    )
    .argument(
      '[ids...]',
      'job ids (whole, or a unique start or end of one); "-" or none: read them from stdin, one a line',
    )
    .option('--json', 'print the finished jobs as a JSON array, with their output')
    .option('--output', "print each job's output as it finishes");
  addHelp(
    command,
    [
      'dist-exec wait 7c8d 91ab',
      "dist-exec run --array 1-100 -d 'make shard-$DIST_EXEC_ARRAY_INDEX' | dist-exec wait --output",
    ],
    JOB_EXITS,
  );
  command.action(async (args: string[], flags: { json?: boolean; output?: boolean }) => {
    const fromStdin = args.length === 0 || (args.length === 1 && args[0] === '-');
    if (fromStdin && process.stdin.isTTY)
      throw new InvalidArgumentError('give job ids as arguments, or pipe them in one a line', { field: 'ids' });
    const words = fromStdin ? (await readStdin()).split(/\s+/).filter(Boolean) : args;
    if (words.length === 0) throw new InvalidArgumentError('no job ids on stdin', { field: 'ids' });
    const ids = await resolveJobIds(context().client, words);
    const interrupts = new Interrupts();
    try {
      process.exitCode = await waitAndReport(
        context(),
        ids,
        { output: flags.output ?? false, json: flags.json ?? false },
        interrupts,
      );
    } finally {
      interrupts.dispose();
    }
  });
}
