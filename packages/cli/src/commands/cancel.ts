import type { Command } from 'commander';
import { checkJobId, jobToJson } from '@dist-exec/core';
import { writeOut, type CliContext } from '../context.js';

export function registerCancel(program: Command, context: () => CliContext): void {
  program
    .command('cancel')
    .description('cancel a pending or running job (its processes get SIGTERM, then SIGKILL)')
    .argument('<id>', 'job id')
    .option('--json', 'print the job as JSON')
    .action(async (id: string, flags: { json?: boolean }) => {
      const job = await context().client.cancel(checkJobId(id));
      await writeOut(
        process.stdout,
        flags.json
          ? `${JSON.stringify(jobToJson({ ...job, stdout: null, stderr: null }), null, 2)}\n`
          : `cancelled ${job.id}\n`,
      );
    });
}
