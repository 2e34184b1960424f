import { randomUUID } from 'node:crypto';
import type { JobSpecInput } from '@dist-exec/client';
import { writeOut, type CliContext } from '../context.js';
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
export async function runMany(ctx: CliContext, specs: readonly JobSpecInput[], flags: ManyFlags): Promise<number> {
  // Counting Ctrl-C from before the first submit: an interrupted submit stops, and what it created is cancelled.
  const interrupts = new Interrupts();
  try {
    const progress = new ProgressBar({ stream: process.stderr, label: 'submitting', total: specs.length });
    progress.update(0);
    let ids: string[];
    try {
      ids = await submitInChunks(
        ctx.client,
        specs,
        (submitted) => progress.update(submitted),
        () => interrupts.count > 0,
      );
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
