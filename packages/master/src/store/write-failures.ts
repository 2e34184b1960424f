import { dirname } from 'node:path';
import { errorMessage } from '@dist-exec/core';
import { StoreUnusableError } from './database-file.js';
import { describeFree, freeBytes, type FileChange } from './data-dir.js';
import type { WriteFailure } from './sqlite-group-commit.js';

/** A file the store holds open was deleted, or another file took its path: writes would not be durable. */
export class HeldFileChangedError extends Error {
  override readonly name = 'HeldFileChangedError';
  constructor(
    readonly path: string,
    readonly change: FileChange,
  ) {
    super(`${path} was ${change === 'missing' ? 'deleted' : 'replaced by another file'} while the master ran`);
  }
}

function codeOf(error: unknown): string {
  return typeof error === 'object' && error !== null && 'code' in error
    ? String((error as { code: unknown }).code)
    : '';
}

/** The first line of a message, whatever SQLite's looked like. */
function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}

/**
 * What a failed write of the sqlite store means, as one line a person acts
 * on: whether the store can get over it by itself (a full disk freed, a
 * file system made writable again, a data dir deleted and written back) or
 * only a restart helps. `path` is the database file.
 */
export function describeWriteFailure(error: unknown, path: string): WriteFailure {
  const dir = dirname(path);
  const code = codeOf(error);
  const detail = oneLine(errorMessage(error));
  if (error instanceof HeldFileChangedError) {
    if (error.change === 'missing')
      return {
        problem: `${error.path} was deleted while the master ran; the master writes its database back to ${dir}`,
        fatal: false,
      };
    return {
      problem: `${error.path} was replaced by another file while the master ran; restart the master to use that file, or put the data dir back`,
      fatal: true,
    };
  }
  if (error instanceof StoreUnusableError) {
    // Taking the lock again found it held: another master started on the data dir meanwhile.
    if (/in use by another running master/.test(error.message))
      return {
        problem: `another master took the data dir ${dir} while this one could not write; stop one of them and restart the other`,
        fatal: true,
      };
    return { problem: error.message, fatal: false };
  }
  if (code === 'SQLITE_FULL' || code === 'ENOSPC') {
    const free = describeFree(freeBytes(dir));
    return { problem: `disk full at ${dir}${free ? `: ${free}` : ''}; free some space`, fatal: false };
  }
  if (
    code.startsWith('SQLITE_READONLY') ||
    code === 'SQLITE_PERM' ||
    code === 'EROFS' ||
    code === 'EACCES' ||
    code === 'EPERM'
  )
    return { problem: `${path} is not writable (${code}: ${detail}); make it writable again`, fatal: false };
  if (code.startsWith('SQLITE_IOERR') || code === 'EIO' || code.startsWith('SQLITE_CANTOPEN') || code === 'ENOENT')
    return { problem: `I/O error on ${path} (${code}: ${detail}); check the disk`, fatal: false };
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB')
    return { problem: `${path} is corrupt (${detail}); restart the master`, fatal: true };
  // A constraint our rows break, a bug: writing the same again would fail the same way.
  return {
    problem: `the store cannot write to ${path}: ${code ? `${code}: ` : ''}${detail}; restart the master`,
    fatal: true,
  };
}
