import { randomUUID } from 'node:crypto';
import type { JobSpecInput } from '@dist-exec/client';
import { errorMessage, formatDuration } from '@dist-exec/core';
import { PartialSubmitError, saveArrayKey } from '../array-resume.js';
import { describeCliError, EXIT_DIST_EXEC_ERROR, writeOut, type CliContext } from '../context.js';
import { Interrupts } from '../interrupts.js';
import { ProgressBar } from '../progress.js';
import { parseArrayRange } from '../array-range.js';
import { ARRAY_ID_LABEL, ARRAY_INDEX_LABEL, waitAndReport } from './job-set.js';
import { warnIfUnschedulable } from './submit-warnings.js';
import { submitInChunks } from './wait-many.js';

/** Environment variable with the job's index in its array (like Slurm's SLURM_ARRAY_TASK_ID). */
export const ARRAY_INDEX_ENV = 'DIST_EXEC_ARRAY_INDEX';
/** Environment variable with the array's id, the same for every job of one `run --array`. */
export const ARRAY_ID_ENV = 'DIST_EXEC_ARRAY_ID';

export interface ManyFlags {
  detach?: boolean;
  wait?: boolean;
  json?: boolean;
}

/** An array's idempotency key, and how to finish its submit should it stop half way. */
export interface ArrayResume {
  key: string;
  /** Made up here (no --idempotency-key): printed and saved before the first job is sent. */
  derived: boolean;
  /** The same command with the key, as one shell line. */
  command: string;
  /** How long a chunk is sent again while the master is unreachable, in ms. */
  retryWindowMs: number;
}

/**
 * One spec per index: the index in the environment and in a label, and an
 * idempotency key per job (`<key or array id>:<index>`) so a chunk sent again
 * after a lost answer creates nothing twice.
 */
export function arraySpecs(base: JobSpecInput, range: string, arrayId: string = randomUUID()): JobSpecInput[] {
  const keyBase = base.idempotencyKey || arrayId;
  return parseArrayRange(range).map((index) => ({
    ...base,
    env: { ...base.env, [ARRAY_INDEX_ENV]: String(index), [ARRAY_ID_ENV]: arrayId },
    labels: { ...base.labels, [ARRAY_ID_LABEL]: arrayId, [ARRAY_INDEX_LABEL]: String(index) },
    idempotencyKey: `${keyBase}:${index}`,
  }));
}

/**
 * Submits many jobs (a progress bar on a terminal), then: with --detach
 * prints their ids, one a line, in order; otherwise waits for all of them
 * and prints each one's output as it finishes (--wait: none; --json: all
 * jobs as JSON at the end). Resolves with the exit status.
 */
export async function runMany(
  ctx: CliContext,
  specs: readonly JobSpecInput[],
  flags: ManyFlags,
  resume?: ArrayResume,
): Promise<number> {
  if (resume?.derived) announceKey(ctx, resume, specs.length);
  // Counting Ctrl-C from before the first submit: an interrupted submit stops, and what it created is cancelled.
  const interrupts = new Interrupts();
  try {
    const progress = new ProgressBar({ stream: process.stderr, label: 'submitting', total: specs.length });
    progress.update(0);
    let ids: string[];
    try {
      ids = await submitInChunks(ctx.client, specs, {
        onChunk: (submitted) => progress.update(submitted),
        stopped: () => interrupts.count > 0,
        ...(resume ? { retryWindowMs: resume.retryWindowMs } : {}),
      });
    } catch (error) {
      if (!(error instanceof PartialSubmitError) || !resume) throw error;
      progress.clear();
      return await reportPartial(ctx, error, specs.length, resume, flags);
    } finally {
      progress.clear();
    }
    if (flags.detach) {
      await writeOut(process.stdout, ids.length ? `${ids.join('\n')}\n` : '');
      // The jobs of an array differ only by their index: what the first one's placement says holds for all.
      if (ids[0]) warnIfUnschedulable(await ctx.client.getJob(ids[0], { output: false }));
      // Interrupted: the ids printed are the jobs that exist; the rest were never submitted.
      return interrupts.count > 0 ? 130 : 0;
    }
    if (process.stderr.isTTY && !flags.json) process.stderr.write(`submitted ${ids.length} jobs\n`);
    return await waitAndReport(ctx, ids, { output: !flags.wait && !flags.json, json: flags.json ?? false }, interrupts);
  } finally {
    interrupts.dispose();
  }
}

/** Before the first job is sent: the key, where it is kept, and what it is for. */
function announceKey(ctx: CliContext, resume: ArrayResume, jobs: number): void {
  let kept = '';
  try {
    kept = ` (kept in ${saveArrayKey(ctx.stateDir, { key: resume.key, jobs, command: resume.command })})`;
  } catch (error) {
    kept = ` (not kept: ${errorMessage(error)})`;
  }
  process.stderr.write(
    `dist-exec: array key ${resume.key}${kept}; should the submit stop half way, ` +
      `the same command with --idempotency-key ${resume.key} finishes it without duplicates\n`,
  );
}

/**
 * The master stayed away past the retry window: how many jobs are stored,
 * and the command that submits the rest without duplicates. With --detach the
 * ids of the stored jobs still go to stdout.
 */
async function reportPartial(
  ctx: CliContext,
  partial: PartialSubmitError,
  total: number,
  resume: ArrayResume,
  flags: ManyFlags,
): Promise<number> {
  const stored = partial.ids.length;
  const maybe = partial.unanswered
    ? `, and the ${partial.unanswered} of the chunk whose answer was lost may be too`
    : '';
  process.stderr.write(
    `dist-exec: ${describeCliError(partial.error, ctx.masterAddress, ctx.tokenSource)}\n` +
      `dist-exec: gave up after --retry-window ${formatDuration(resume.retryWindowMs)}: ` +
      `${stored} of ${total} jobs are stored${maybe}. To submit the rest without duplicates, run:\n` +
      `  ${resume.command}\n`,
  );
  if (flags.detach && stored) await writeOut(process.stdout, `${partial.ids.join('\n')}\n`);
  return EXIT_DIST_EXEC_ERROR;
}
