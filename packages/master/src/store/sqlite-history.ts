import type Database from 'better-sqlite3';

/**
 * The SQLite store's queries over a long history (issue 19: hundreds of
 * millions of finished jobs): each read is a few index searches, O(log n),
 * however many jobs the store holds, and the space history GC frees goes back
 * to the file system a little at a time.
 */

/** Jobs in the given states (all when none), from the counts the triggers of migration 5 keep: O(states). */
export function countSql(stateCount: number): string {
  if (stateCount === 0) return 'SELECT coalesce(sum(n), 0) AS n FROM job_counts';
  const marks = Array.from({ length: stateCount }, () => '?').join(', ');
  return `SELECT coalesce(sum(n), 0) AS n FROM job_counts WHERE state IN (${marks})`;
}

/**
 * A page, newest first, of jobs submitted before a submit number, at most a
 * limit. Parameters: with no state (before, limit); with states, (state,
 * before, limit) for each, then limit. One range scan of the (state, seq)
 * index per state, merged: O(states · log n + page) however rare the state,
 * where `state IN (…) ORDER BY seq` walks past every job of the other states
 * or sorts them all.
 */
export function pageSql(stateCount: number): string {
  const columns = 'SELECT seq, id, data FROM jobs';
  if (stateCount === 0) return `${columns} WHERE seq < ? ORDER BY seq DESC LIMIT ?`;
  if (stateCount === 1) return `${columns} WHERE state = ? AND seq < ? ORDER BY seq DESC LIMIT ?`;
  const parts = Array.from(
    { length: stateCount },
    () => `SELECT * FROM (${columns} WHERE state = ? AND seq < ? ORDER BY seq DESC LIMIT ?)`,
  );
  return `SELECT * FROM (${parts.join(' UNION ALL ')}) ORDER BY seq DESC LIMIT ?`;
}

/** The parameters of `pageSql` for these (distinct) states. */
export function pageParams(states: readonly string[], before: number, limit: number): (string | number)[] {
  if (states.length === 0) return [before, limit];
  if (states.length === 1) return [states[0] as string, before, limit];
  return [...states.flatMap((state) => [state, before, limit]), limit];
}

/** Finished jobs, for history GC's count limit: one lookup per state. */
export const FINISHED_COUNT_SQL =
  "SELECT coalesce(sum(n), 0) AS n FROM job_counts WHERE state IN ('COMPLETED', 'FAILED', 'CANCELLED')";

/** Free pages are given back once they are more than this share of the file… */
const FREE_SHARE = 0.1;
/** …and at least this many (4 MiB of 4 KiB pages). */
const FREE_PAGES_MIN = 1024;
/**
 * Pages moved per call (1 MiB), so that a call blocks the master for a few
 * milliseconds: it rides on a history GC batch, which is itself kept to
 * about 8 ms (controllers/history-gc.ts). 1,024 pages took about 10 ms.
 */
const VACUUM_STEP_PAGES = 256;

/**
 * Gives back to the file system part of what history GC freed, in a store
 * with `auto_vacuum = INCREMENTAL` (every store created since issue 19; an
 * older file needs one `VACUUM`, see docs/performance.md). Free pages are
 * kept while they are a small share of the file: new jobs reuse them, and
 * moving pages only to grow the file again would be wasted writes. Returns
 * the pages given back.
 */
export function releaseFreePages(db: Database.Database): number {
  if ((db.pragma('auto_vacuum', { simple: true }) as number) !== 2) return 0;
  const free = db.pragma('freelist_count', { simple: true }) as number;
  const pages = db.pragma('page_count', { simple: true }) as number;
  if (free < FREE_PAGES_MIN || free < pages * FREE_SHARE) return 0;
  const step = Math.min(VACUUM_STEP_PAGES, free - Math.floor((pages * FREE_SHARE) / 2));
  db.pragma(`incremental_vacuum(${step})`);
  return step;
}
