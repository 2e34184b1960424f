import { InvalidArgumentError } from '@dist-exec/core';

/** Most jobs one `run --array` may create. */
export const MAX_ARRAY_JOBS = 100_000;
/** Largest index, as in Slurm (MaxArraySize bounds the index, not the count). */
const MAX_INDEX = 4_000_000;

function fail(message: string): never {
  throw new InvalidArgumentError(`--array: ${message}`, { field: '--array' });
}

function index(text: string, whole: string): number {
  if (!/^\d{1,7}$/.test(text)) fail(`"${whole}" is not a range; use e.g. 1-100, 0-30:10 or 1,4,9`);
  const value = Number(text);
  if (value > MAX_INDEX) fail(`index ${value} is too large (at most ${MAX_INDEX})`);
  return value;
}

/**
 * Parses a Slurm-style array spec: comma-separated items, each an index
 * (`7`), a range (`1-100`) or a range with a step (`0-30:10`). Returns the
 * indices in the order given, each once. Slurm's `%N` throttle is refused
 * with a clear message rather than ignored.
 */
export function parseArrayRange(spec: string): number[] {
  const text = spec.trim();
  if (!text) fail('give indices, e.g. 1-100, 0-30:10 or 1,4,9');
  if (text.includes('%'))
    fail("a %N limit of jobs at once is not supported; the cluster's task slots limit how many run at once");
  const seen = new Set<number>();
  const out: number[] = [];
  const add = (value: number): void => {
    if (seen.has(value)) return;
    if (out.length >= MAX_ARRAY_JOBS) fail(`more than ${MAX_ARRAY_JOBS} jobs; split the array into several runs`);
    seen.add(value);
    out.push(value);
  };
  for (const item of text.split(',')) {
    const match = /^(\d+)(?:-(\d+)(?::(\d+))?)?$/.exec(item.trim());
    if (!match) fail(`"${item}" is not a range; use e.g. 1-100, 0-30:10 or 1,4,9`);
    const first = index(match[1] as string, item);
    if (match[2] === undefined) {
      add(first);
      continue;
    }
    const last = index(match[2], item);
    const step = match[3] === undefined ? 1 : index(match[3], item);
    if (last < first) fail(`"${item}" ends before it starts`);
    if (step < 1) fail(`"${item}" has a step of 0`);
    if ((last - first) / step + 1 > MAX_ARRAY_JOBS)
      fail(`"${item}" is more than ${MAX_ARRAY_JOBS} jobs; split the array into several runs`);
    for (let value = first; value <= last; value += step) add(value);
  }
  return out;
}
