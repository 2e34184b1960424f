import { StoreUnusableError } from './database-file.js';

/**
 * What the PostgreSQL store says about its database and the failures it meets:
 * the URL with its password masked (the only form that reaches logs, errors and
 * read APIs), whether a failure is worth retrying, and one line a person can
 * act on when the database cannot be used at start.
 */

const MASK = '***';

/** The URL as logs and errors show it: the password, and any `password=` parameter, replaced by `***`. */
export function maskDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = MASK;
    for (const key of [...parsed.searchParams.keys()])
      if (/pass|secret|key$/i.test(key)) parsed.searchParams.set(key, MASK);
    return parsed.toString();
  } catch {
    // Not a URL: mask whatever sits between "user:" and "@", and any password=... pair.
    return url.replace(/(\/\/[^/:@]*:)[^@/]*@/, `$1${MASK}@`).replace(/(password=)[^&\s]*/gi, `$1${MASK}`);
  }
}

/** Why `url` is not a PostgreSQL URL we can use, or null when it is. Never repeats the password. */
export function databaseUrlProblem(url: string): string | null {
  if (!url) return 'is required with --store postgres (e.g. postgres://user@host:5432/dist_exec)';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `"${maskDatabaseUrl(url)}" is not a URL; use postgres://user:password@host:5432/database`;
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:')
    return `"${maskDatabaseUrl(url)}" is not a postgres:// URL; use postgres://user:password@host:5432/database`;
  return null;
}

function field(error: unknown, name: string): string {
  if (typeof error !== 'object' || error === null || !(name in error)) return '';
  const value = (error as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : '';
}

/** PostgreSQL's SQLSTATE, when the server answered with an error ('' for a network or client failure). */
export function sqlState(error: unknown): string {
  const code = field(error, 'code');
  return /^[0-9A-Z]{5}$/.test(code) ? code : '';
}

/**
 * Failures that say nothing about our data: the connection (class 08, or no
 * SQLSTATE at all: refused, reset, timed out), the server shutting down or
 * starting (57P0x), short of resources (53), a conflict to retry (40), or a
 * standby that is not yet promoted (25006). The same write may succeed later.
 * Anything else (a constraint our rows break, bad data, a missing table) will
 * fail again however often it is tried.
 */
export function isTransient(error: unknown): boolean {
  const state = sqlState(error);
  if (!state) return true;
  const family = state.slice(0, 2);
  return (
    family === '08' ||
    family === '53' ||
    family === '40' ||
    family === '57' ||
    family === '58' ||
    state === '25006' ||
    state === '55P03'
  );
}

/** The failure in a few words, for a one-line message. */
export function failureText(error: unknown): string {
  const message = (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, ' ').trim();
  const code = field(error, 'code');
  if (!message) return code || 'unknown error';
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}

const CHECK_URL = 'check that PostgreSQL runs there and that --database-url is right';

/** Turns a failure to open the store into one line that names the (masked) URL and says what to do. */
export function describeOpenFailure(url: string, error: unknown): StoreUnusableError {
  if (error instanceof StoreUnusableError) return error;
  const where = maskDatabaseUrl(url);
  const state = sqlState(error);
  const code = field(error, 'code');
  const text = failureText(error);
  const unusable = (problem: string): StoreUnusableError => new StoreUnusableError(where, problem, { cause: error });
  if (code === 'ECONNREFUSED') return unusable(`cannot connect (${text}); ${CHECK_URL}`);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return unusable(`unknown host (${text}); ${CHECK_URL}`);
  if (state === '28P01' || state === '28000')
    return unusable(`the database refused the login (${text}); check the user and password (or PGPASSWORD)`);
  if (state === '3D000') return unusable(`${text}; create it first (createdb), or name another database`);
  if (state === '42501')
    return unusable(`${text}; the user needs the right to create the dist_exec schema and its tables`);
  if (!state) return unusable(`cannot connect (${text}); ${CHECK_URL}`);
  return unusable(`cannot be used (${text})`);
}
