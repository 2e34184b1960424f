import type { Command } from 'commander';
import type { JobView } from '@dist-exec/client';
import { errorMessage, InvalidArgumentError, jobToJson, parseKeyValues } from '@dist-exec/core';
import { writeOut, type CliContext } from '../context.js';
import { addHelp } from '../help-text.js';
import { ARRAY_ID_LABEL } from './job-set.js';
import { collect } from './job-spec-flags.js';
import { resolveArrayId, resolveJobIds, unfinishedJobsWithLabels } from './job-ids.js';
import { forEachLimited } from './wait-many.js';

interface CancelFlags {
  json?: boolean;
  array?: string;
  label?: string[];
}

const CANCEL_CONCURRENCY = 16;

export function registerCancel(program: Command, context: () => CliContext): void {
  const command = program
    .command('cancel')
    .description('cancel pending or running jobs (their processes get SIGTERM, then SIGKILL)')
    .argument('[ids...]', 'job ids, whole or any unique start or end of one (e.g. 7f3a)')
    .option('--array <id>', "every unfinished job of an array: the array's id, or one of its jobs' ids")
    .option('--label <k=v>', 'every unfinished job with this label (repeatable: all of them)', collect)
    .option('--json', 'print the cancelled jobs as JSON');
  addHelp(command, [
    'dist-exec cancel 0190a4c2-7d3e-7a1b-9c2d-3e4f5a6b7c8d',
    'dist-exec cancel 7c8d 91ab                # short ids: a unique start or end of each',
    'dist-exec cancel --array 7c8d             # the rest of the array job 7c8d belongs to',
    'dist-exec cancel --label team=web         # every pending or running job labelled team=web',
  ]);
  command.action(async (texts: string[], flags: CancelFlags) => {
    const client = context().client;
    const chosen = [texts.length > 0, flags.array !== undefined, flags.label !== undefined].filter(Boolean).length;
    if (chosen !== 1)
      throw new InvalidArgumentError('give job ids, --array <id> or --label k=v (one of them)', { field: 'ids' });
    if (texts.length > 0) {
      // Named one by one: each is reported, and one that cannot be cancelled fails the command.
      const ids = await resolveJobIds(client, texts);
      const cancelled: JobView[] = [];
      let failed = 0;
      for (const id of ids) {
        try {
          const job = await client.cancel(id);
          cancelled.push(job);
          if (!flags.json) await writeOut(process.stdout, `cancelled ${job.id}\n`);
        } catch (error) {
          failed += 1;
          process.stderr.write(`dist-exec: job ${id}: ${errorMessage(error).replace(/^\d+ [A-Z_]+: /, '')}\n`);
        }
      }
      if (flags.json) await printJson(cancelled);
      if (failed) process.exitCode = 1;
      return;
    }
    const labels = flags.array
      ? { [ARRAY_ID_LABEL]: await resolveArrayId(client, flags.array) }
      : parseKeyValues(flags.label ?? [], '--label');
    const what = flags.array ? `of array ${labels[ARRAY_ID_LABEL]}` : `labelled ${(flags.label ?? []).join(', ')}`;
    const jobs = await unfinishedJobsWithLabels(client, labels);
    const cancelled: JobView[] = [];
    let missed = 0;
    await forEachLimited(jobs, CANCEL_CONCURRENCY, async (job) => {
      // A job that finished meanwhile is not an error: it is counted apart.
      await client.cancel(job.id).then(
        (done) => void cancelled.push(done),
        () => void (missed += 1),
      );
    });
    if (flags.json) return printJson(cancelled);
    const finished = missed ? `; ${missed} finished first` : '';
    await writeOut(
      process.stdout,
      jobs.length === 0
        ? `no pending or running jobs ${what}\n`
        : `cancelled ${cancelled.length} job${cancelled.length === 1 ? '' : 's'} ${what}${finished}\n`,
    );
  });
}

function printJson(jobs: readonly JobView[]): Promise<void> {
  const views = jobs.map((job) => jobToJson({ ...job, stdout: null, stderr: null }));
  return writeOut(process.stdout, `${JSON.stringify(views.length === 1 ? views[0] : views, null, 2)}\n`);
}
