import { accessSync, constants, existsSync, mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { DistExecError } from '@dist-exec/core';
import { applySettings } from './sqlite-settings.js';
import { APPLICATION_ID, migrate, NewerSchemaError, schemaVersion, type Migration } from './migrations.js';

export const DATABASE_FILE = 'dist-exec.db';
export const LOCK_FILE = 'dist-exec.lock';

/** The store cannot be used; the master must not start. The message is one line naming the file. */
export class StoreUnusableError extends DistExecError {
  readonly code = 'FAILED_PRECONDITION';
  override readonly name = 'StoreUnusableError';
  constructor(
    readonly file: string,
    readonly problem: string,
    options?: ErrorOptions,
  ) {
    // One line, whatever SQLite's own message looked like.
    super(`${file}: ${problem.replace(/\s*\n\s*/g, ' ')}`, options);
  }
}

export interface OpenedDatabase {
  db: Database.Database;
  /** Held for as long as the store is open: a second master on the same data dir is refused. */
  lock: Database.Database;
  path: string;
  /** Migrations applied at this start. */
  migrated: number[];
  created: boolean;
}

function codeOf(error: unknown): string {
  return typeof error === 'object' && error !== null && 'code' in error
    ? String((error as { code: unknown }).code)
    : '';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const MOVE_AWAY = 'restore it from a backup, or move it away to start with an empty store';

/** Turns what SQLite or the file system threw into one line a person can act on. */
export function describeFailure(file: string, error: unknown): StoreUnusableError {
  if (error instanceof StoreUnusableError) return error;
  const code = codeOf(error);
  const detail = messageOf(error);
  if (code === 'SQLITE_NOTADB')
    return new StoreUnusableError(file, `not a database, or its header is corrupt (${detail}); ${MOVE_AWAY}`, {
      cause: error,
    });
  if (code.startsWith('SQLITE_CORRUPT'))
    return new StoreUnusableError(file, `the database is corrupt (${detail}); ${MOVE_AWAY}`, { cause: error });
  if (code === 'SQLITE_FULL')
    return new StoreUnusableError(file, `the disk is full (${detail}); free some space`, { cause: error });
  if (
    code.startsWith('SQLITE_READONLY') ||
    code === 'SQLITE_PERM' ||
    code === 'EACCES' ||
    code === 'EPERM' ||
    code === 'EROFS'
  ) {
    return new StoreUnusableError(
      file,
      `not writable (${detail}); give the master write access or choose another --data-dir`,
      { cause: error },
    );
  }
  if (code.startsWith('SQLITE_CANTOPEN'))
    return new StoreUnusableError(
      file,
      `cannot be opened (${detail}); check that the data dir exists and is writable`,
      { cause: error },
    );
  return new StoreUnusableError(file, `cannot be used (${code ? `${code}: ` : ''}${detail})`, { cause: error });
}

function prepareDataDir(dataDir: string): void {
  try {
    if (existsSync(dataDir) && !statSync(dataDir).isDirectory()) {
      throw new StoreUnusableError(dataDir, 'the data dir is not a directory; choose another --data-dir');
    }
    mkdirSync(dataDir, { recursive: true });
    accessSync(dataDir, constants.W_OK | constants.X_OK);
  } catch (error) {
    if (error instanceof StoreUnusableError) throw error;
    const code = codeOf(error);
    if (code === 'ENOTDIR')
      throw new StoreUnusableError(
        dataDir,
        'a part of the data dir path is a file, not a directory; choose another --data-dir',
        { cause: error },
      );
    throw new StoreUnusableError(
      dataDir,
      `the data dir is not writable (${code || messageOf(error)}); give the master write access or choose another --data-dir`,
      { cause: error },
    );
  }
}

/**
 * Takes the data dir's lock: a tiny SQLite file held in exclusive locking
 * mode. The OS drops the lock when the process dies (even by kill -9), so a
 * crashed master never blocks its own restart, while two live masters on one
 * data dir would silently overwrite each other's decisions.
 */
function takeLock(dataDir: string): Database.Database {
  const file = join(dataDir, LOCK_FILE);
  let lock: Database.Database | null = null;
  try {
    lock = new Database(file, { timeout: 0 });
    lock.pragma('locking_mode = EXCLUSIVE');
    lock.pragma('journal_mode = MEMORY');
    lock.exec('BEGIN EXCLUSIVE; COMMIT;');
    return lock;
  } catch (error) {
    lock?.close();
    if (codeOf(error).startsWith('SQLITE_BUSY') || codeOf(error).startsWith('SQLITE_LOCKED')) {
      throw new StoreUnusableError(
        file,
        'the data dir is in use by another running master; stop it, or give this one another --data-dir',
        { cause: error },
      );
    }
    throw describeFailure(file, error);
  }
}

/** Refuses a file some other program made: starting "empty" over it would hide its data. */
function checkOwnership(db: Database.Database, path: string): void {
  const applicationId = db.pragma('application_id', { simple: true }) as number;
  if (applicationId === APPLICATION_ID) return;
  const tables = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number };
  if (applicationId !== 0 || schemaVersion(db) !== 0 || tables.n > 0) {
    throw new StoreUnusableError(
      path,
      `not a dist-exec store (application id ${applicationId}, ${tables.n} tables); ${MOVE_AWAY}`,
    );
  }
}

/**
 * Files up to this size are read whole at start. Past it, a whole read
 * (about half a second per GB, minutes for a week of history) would keep
 * the master from serving: only the small tables are checked, and damage in
 * the jobs' history shows when that job is read.
 */
export const FULL_CHECK_MAX_BYTES = 256 * 1024 * 1024;
/** What is checked of a larger file: everything the master reads whole at start or relies on. */
const SMALL_TABLES = ['tokens', 'node_claims', 'job_counts'];

/**
 * Reads every page once, so damage anywhere in the file stops the start
 * instead of surfacing later as lost jobs; of a file larger than
 * FULL_CHECK_MAX_BYTES, the small tables only (the active jobs are read
 * whole by the recovery that follows).
 */
function checkIntegrity(db: Database.Database, path: string): void {
  const size = existsSync(path) ? statSync(path).size : 0;
  let checks = ['quick_check(1)'];
  if (size > FULL_CHECK_MAX_BYTES) {
    const tables = new Set(
      (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map(
        (t) => t.name,
      ),
    );
    checks = SMALL_TABLES.filter((name) => tables.has(name)).map((name) => `quick_check(${name})`);
  }
  for (const check of checks) {
    const result = db.pragma(check, { simple: true });
    if (result !== 'ok')
      throw new StoreUnusableError(
        path,
        `the database is corrupt (${String(result).replace(/\s+/g, ' ').replace('*** in database main *** ', '')}); ${MOVE_AWAY}`,
      );
  }
}

/**
 * Opens (or creates) the store file under `dataDir`: takes the lock, sets WAL
 * and FULL sync (a commit is on disk before it returns), checks the file is
 * ours and whole, and runs the migrations. Every failure is a StoreUnusableError.
 */
export function openDatabase(dataDir: string, migrations?: readonly Migration[]): OpenedDatabase {
  const dir = resolve(dataDir);
  prepareDataDir(dir);
  const lock = takeLock(dir);
  const path = join(dir, DATABASE_FILE);
  const created = !existsSync(path);
  let db: Database.Database | null = null;
  try {
    db = new Database(path);
    // The first read of the header: a file that is not a database fails here.
    checkOwnership(db, path);
    checkIntegrity(db, path);
    // Before WAL: switching the journal writes the file's first page, after which auto_vacuum is fixed.
    applySettings(db, created);
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw new Error(`cannot switch the journal to WAL (got ${String(mode)})`);
    db.pragma('synchronous = FULL');
    const migrated = migrate(db, migrations);
    return { db, lock, path, migrated, created };
  } catch (error) {
    db?.close();
    lock.close();
    if (error instanceof NewerSchemaError) throw new StoreUnusableError(path, error.message, { cause: error });
    throw describeFailure(path, error);
  }
}
