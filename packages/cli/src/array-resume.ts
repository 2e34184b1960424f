import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { DistExecError } from '@dist-exec/core';

/**
 * What makes a partial `run --array` no surprise: the key its jobs are
 * submitted under (the user's --idempotency-key, or one derived for them),
 * kept in a file and printed before the first job is sent, and, when the
 * submit stops half way, the exact command that finishes it without
 * duplicates (the same command with the key: the master returns the jobs it
 * already has and creates only the missing ones).
 */

/** Global flags of `dist-exec` that take a value (they may come before the command). */
const GLOBAL_VALUE_FLAGS = new Set(['--master', '--connect-timeout', '--token', '--token-file']);

/** A word as a POSIX shell reads it back unchanged. */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The command line `args` (what followed `dist-exec`) with `--idempotency-key
 * <key>` after the `run` command, unless it names one already; as one line a
 * person pastes into a shell.
 */
export function resumeCommand(args: readonly string[], key: string): string {
  const words = [...args];
  const named = words.some((word) => word === '--idempotency-key' || word.startsWith('--idempotency-key='));
  if (!named) {
    let at = 0;
    while (at < words.length && words[at] !== 'run') at += GLOBAL_VALUE_FLAGS.has(words[at] as string) ? 2 : 1;
    words.splice(at + 1, 0, '--idempotency-key', key);
  }
  return ['dist-exec', ...words].map(shellQuote).join(' ');
}

/**
 * Appends one line (JSON: time, key, jobs, command) to `<stateDir>/arrays.log`
 * and returns the file's path, so that a key printed to a terminal that is
 * gone can still be found. Throws when the file cannot be written.
 */
export function saveArrayKey(stateDir: string, entry: { key: string; jobs: number; command: string }): string {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const file = join(stateDir, 'arrays.log');
  appendFileSync(file, `${JSON.stringify({ at: new Date().toISOString(), ...entry })}\n`, { mode: 0o600 });
  return file;
}

/** A submit in chunks that stopped half way: the ids acknowledged before, and why it stopped. */
export class PartialSubmitError extends Error {
  constructor(
    /** Jobs the master acknowledged, in order. */
    readonly ids: readonly string[],
    /** Jobs of the chunk whose answer never came: the master may have stored them. */
    readonly unanswered: number,
    readonly error: DistExecError | Error,
  ) {
    super(error.message, { cause: error });
  }
}
