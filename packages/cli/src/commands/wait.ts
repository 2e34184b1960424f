import type { Command } from 'commander';
import { checkJobId, InvalidArgumentError } from '@dist-exec/core';
import type { CliContext } from '../context.js';
import { Interrupts } from '../interrupts.js';
import { waitAndReport } from './job-set.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}

export function registerWait(program: Command, context: () => CliContext): void {
  program
    .command('wait')
    .description(
      'wait until jobs have finished (ids as arguments, or one a line on stdin); exit 0 only if all completed',
    )
    .argument(
      '[ids...]',
      'job ids; "-" or none: read them from stdin, e.g. dist-exec run --array 1-100 -d ... | dist-exec wait',
    )
    .option('--json', 'print the finished jobs as a JSON array, with their output')
    .option('--output', "print each job's output as it finishes")
    .action(async (args: string[], flags: { json?: boolean; output?: boolean }) => {
      const fromStdin = args.length === 0 || (args.length === 1 && args[0] === '-');
      if (fromStdin && process.stdin.isTTY)
        throw new InvalidArgumentError('give job ids as arguments, or pipe them in one a line', { field: 'ids' });
      const words = fromStdin ? (await readStdin()).split(/\s+/).filter(Boolean) : args;
      if (words.length === 0) throw new InvalidArgumentError('no job ids on stdin', { field: 'ids' });
      const ids = [...new Set(words.map((id) => checkJobId(id)))];
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
