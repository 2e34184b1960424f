import type Database from 'better-sqlite3';

/**
 * How the SQLite store's connection is set up for a long history under
 * sustained writes (issue 19; docs/performance.md says what was measured and
 * tried). The journal (WAL) and `synchronous = FULL` are set by
 * openDatabase: a commit is on disk when it returns, which every
 * acknowledgement relies on, so they are not tuned away here.
 */

/**
 * Page cache: 64 MiB (SQLite's default is 2 MiB). The inner pages of the
 * jobs' and output's indexes at ten million jobs take tens of MiB; with them
 * cached a status or a page of `list` reads only its leaf pages.
 */
export const CACHE_SIZE_KIB = 64 * 1024;
/**
 * After a checkpoint the WAL file is cut back to this size instead of
 * staying at its largest (one slow burst would otherwise keep a big WAL).
 */
export const JOURNAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;

/**
 * Where SQLite keeps its temporary files, above all the statement journal:
 * every insert into `jobs` (its unique id, the trigger keeping job_counts)
 * first copies each page it changes there, so that a failing statement can
 * be undone alone. In a file that was two thirds of the store's system calls
 * and half its time per job when filling history (issue 19: 4 KiB and 4 byte
 * `pwrite`s, fourteen per job); in memory it costs a few pages per statement.
 */
export const TEMP_STORE = 'MEMORY';

/**
 * Settings of every connection; `created`: the file is new and has no table
 * yet, the only time `auto_vacuum` can change without a VACUUM. INCREMENTAL
 * lets history GC give freed pages back a little at a time
 * (`releaseFreePages`), instead of the file keeping its largest size forever.
 */
export function applySettings(db: Database.Database, created: boolean): void {
  if (created) db.pragma('auto_vacuum = INCREMENTAL');
  db.pragma(`cache_size = -${CACHE_SIZE_KIB}`);
  db.pragma(`journal_size_limit = ${JOURNAL_SIZE_LIMIT_BYTES}`);
  db.pragma(`temp_store = ${TEMP_STORE}`);
}
