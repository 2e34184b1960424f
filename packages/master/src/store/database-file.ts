import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { DistExecError, formatBytes } from '@dist-exec/core';
import { DEFAULT_MIN_FREE_SPACE_BYTES, describeFree, freeBytes, unwritableReason } from './data-dir.js';
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
  if (code === 'SQLITE_FULL' || code === 'ENOSPC') {
    const free = describeFree(freeBytes(dirname(file)));
    return new StoreUnusableError(file, `the disk is full${free ? ` (${free})` : ''}; free some space`, {
      cause: error,
    });
  }
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

/** Creates the data dir when missing; refuses one that is not a writable directory. */
export function prepareDataDir(dataDir: string): void {
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
export function takeLock(dataDir: string): Database.Database {
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

/** Refuses to start on a file system with less than `minFreeBytes` free, or on files the master could not write. */
function checkRoom(dir: string, minFreeBytes: number): void {
  const free = freeBytes(dir);
  if (free !== null && free < minFreeBytes) {
    throw new StoreUnusableError(
      dir,
      `only ${describeFree(free)} on its file system, less than --min-free-space (${formatBytes(minFreeBytes)}); free some space, or lower --min-free-space`,
    );
  }
  for (const name of [LOCK_FILE, DATABASE_FILE, `${DATABASE_FILE}-wal`]) {
    const file = join(dir, name);
    const reason = unwritableReason(file);
    if (reason)
      throw new StoreUnusableError(
        file,
        `not writable (${reason}); give the master write access or choose another --data-dir`,
      );
  }
}

/**
 * Opens a connection in the modes the store relies on. EXCLUSIVE locking
 * comes before anything reads the file: in WAL mode SQLite then keeps the
 * WAL index in heap memory instead of a memory-mapped `-shm` file, whose
 * failures (a full file system, a file truncated or made immutable under
 * the mapping) arrive as SIGBUS and kill the process without a word. The
 * master holds the data dir's lock anyway, so no one else may write; the
 * cost is that no other process may read either, even `sqlite3 .backup`
 * (the master serves backups itself: GET /api/v1/backup).
 */
export function connect(path: string): Database.Database {
  const db = new Database(path);
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    if (db.readonly) throw Object.assign(new Error('opened read-only'), { code: 'SQLITE_READONLY' });
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/** WAL with FULL sync: a commit is on disk before it returns. */
function useWal(db: Database.Database): void {
  const mode = db.pragma('journal_mode = WAL', { simple: true });
  if (mode !== 'wal') throw new Error(`cannot switch the journal to WAL (got ${String(mode)})`);
  db.pragma('synchronous = FULL');
}

/**
 * A write that changes nothing but still reaches the disk (page 1, fsynced):
 * whether the store can write, asked of the file system itself.
 */
export function probeWrite(db: Database.Database): void {
  db.transaction(() => db.pragma(`application_id = ${APPLICATION_ID}`))();
}

export interface OpenOptions {
  /** Schema steps (tests pass their own). @default MIGRATIONS */
  migrations?: readonly Migration[];
  /** Least free space on the data dir's file system to start with. @default 256 MiB */
  minFreeSpaceBytes?: number;
}

/**
 * Opens (or creates) the store file under `dataDir`: checks there is room
 * and every file can be written, takes the lock, sets WAL and FULL sync,
 * checks the file is ours and whole, runs the migrations and makes one write
 * (so a full or read-only file system stops the start, not the first
 * submit). Every failure is a StoreUnusableError.
 */
export function openDatabase(dataDir: string, options: OpenOptions = {}): OpenedDatabase {
  const { migrations, minFreeSpaceBytes = DEFAULT_MIN_FREE_SPACE_BYTES } = options;
  const dir = resolve(dataDir);
  prepareDataDir(dir);
  checkRoom(dir, minFreeSpaceBytes);
  const lock = takeLock(dir);
  const path = join(dir, DATABASE_FILE);
  const created = !existsSync(path);
  let db: Database.Database | null = null;
  try {
    db = connect(path);
    // The first read of the header: a file that is not a database fails here.
    checkOwnership(db, path);
    checkIntegrity(db, path);
    // Before WAL: switching the journal writes the file's first page, after which auto_vacuum is fixed.
    applySettings(db, created);
    useWal(db);
    const migrated = migrate(db, migrations);
    probeWrite(db);
    return { db, lock, path, migrated, created };
  } catch (error) {
    db?.close();
    lock.close();
    if (error instanceof NewerSchemaError) throw new StoreUnusableError(path, error.message, { cause: error });
    throw describeFailure(path, error);
  }
}

/** Opens the store file again (after writing it back), in the same modes; the schema is known to be current. */
export function reopenDatabase(path: string): Database.Database {
  const db = connect(path);
  try {
    applySettings(db, false);
    useWal(db);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/** Makes a rename in `dir` durable. */
function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes the database `db` reads (whatever happened to its file) to `path`,
 * whole and fsynced, through a temporary file: a failure midway (a full
 * disk) leaves nothing at `path` that could pass for the database.
 */
export function writeBack(db: Database.Database, path: string): void {
  const temporary = `${path}.restoring`;
  rmSync(temporary, { force: true });
  try {
    db.prepare('VACUUM INTO ?').run(temporary);
    const fd = openSync(temporary, 'r+');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
    syncDirectory(dirname(path));
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}
