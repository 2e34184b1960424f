import type { Command } from 'commander';
import {
  describeSpec,
  InvalidArgumentError,
  JOB_STATES,
  jobToJson,
  parseInteger,
  type JobState,
} from '@dist-exec/core';
import { writeOut, type CliContext } from '../context.js';
import { jobsTable } from '../format.js';

export function parseStateList(text: string | undefined): JobState[] {
  if (!text) return [];
  return text.split(',').map((raw) => {
    const state = raw.trim().toUpperCase();
    if (!(JOB_STATES as readonly string[]).includes(state)) {
      throw new InvalidArgumentError(`--state: "${raw}" is not a job state; use ${JOB_STATES.join(', ')}`, {
        field: '--state',
      });
    }
    return state as JobState;
  });
}

export function registerList(program: Command, context: () => CliContext): void {
  program
    .command('list')
    .description('list recent jobs, newest first')
    .option('--limit <n>', 'how many jobs to show (default: 20)')
    .option('--state <states>', `only jobs in these states, comma separated: ${JOB_STATES.join(', ')}`)
    .option('--json', 'print a JSON array')
    .action(async (flags: { limit?: string; state?: string; json?: boolean }) => {
      const limit = parseInteger(flags.limit ?? '20', '--limit', 1, 1_000_000);
      const states = parseStateList(flags.state);
      // As many pages as it takes: the master ends a page early when its jobs are large.
      const { jobs, totalCount: total } = await context().client.listAllJobs({ states, limit });
      if (flags.json) {
        await writeOut(
          process.stdout,
          `${JSON.stringify(
            jobs.map((job) => jobToJson(job)),
            null,
            2,
          )}\n`,
        );
        return;
      }
      if (jobs.length === 0) {
        await writeOut(
          process.stdout,
          states.length
            ? `no ${states.join(' or ')} jobs\n`
            : 'no jobs yet; submit one with: dist-exec run "echo hello"\n',
        );
        return;
      }
      const footer = total > jobs.length ? `\n${jobs.length} of ${total} jobs; --limit shows more\n` : '\n';
      await writeOut(process.stdout, `${jobsTable(jobs, Date.now(), (job) => describeSpec(job.spec))}${footer}`);
    });
}
