import { existsSync, linkSync, mkdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { FailedPreconditionError, errorMessage } from '@dist-exec/core';
import { readTokenFile } from '@dist-exec/runtime';
import { newTokenSecret } from './token-registry.js';

/**
 * The token in `path`, made first when the file does not exist: a fresh
 * token written with mode 0600 (its directory made 0700 when missing). An
 * existing file is kept, so the token stays the same across restarts (and
 * with `--store memory`); one that is readable by every user, or holds no
 * token, stops the master with one line naming the file.
 */
export function loadOrCreateTokenFile(path: string, what: string): { token: string; created: boolean } {
  if (existsSync(path)) return { token: readTokenFile(path, what), created: false };
  const token = newTokenSecret();
  // Written whole to a temporary name, then linked into place: never a half-written file, and
  // link fails (where rename would overwrite) if another process made the file meanwhile.
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    writeFileSync(temporary, `${token}\n`, { mode: 0o600, flag: 'wx' });
    linkSync(temporary, path);
  } catch (error) {
    throw new FailedPreconditionError(
      `${what} ${path}: cannot be written (${errorMessage(error)}); give the master write access to its directory or choose another ${what === 'admin token file' ? '--admin-token-file' : '--worker-token-file'}`,
      { cause: error },
    );
  } finally {
    try {
      unlinkSync(temporary);
    } catch {
      // Not there: the write failed before it.
    }
  }
  return { token, created: true };
}
