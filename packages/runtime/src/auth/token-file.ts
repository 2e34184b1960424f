import { readFileSync, statSync } from 'node:fs';
import { InvalidArgumentError, isWellFormedToken, TOKEN_PREFIX } from '@dist-exec/core';

function codeOf(error: unknown): string {
  return typeof error === 'object' && error !== null && 'code' in error
    ? String((error as { code: unknown }).code)
    : '';
}

/**
 * Reads a token from a file (`--token-file`, DIST_EXEC_TOKEN_FILE, a
 * master's admin.token). Refuses, with one line naming the file and what to
 * do, a file that is missing, unreadable, readable by every user of the
 * machine, or that holds no token.
 */
export function readTokenFile(path: string, what = 'token file'): string {
  const fail = (why: string, cause?: unknown): never => {
    throw new InvalidArgumentError(`${what} ${path}: ${why}`, { field: what, ...(cause ? { cause } : {}) });
  };
  let text = '';
  try {
    const stat = statSync(path);
    if (!stat.isFile()) fail('is not a file');
    // Others may read it: any user of the machine could act with the token.
    if ((stat.mode & 0o004) !== 0)
      fail(`is readable by every user (mode ${(stat.mode & 0o777).toString(8)}); run chmod 600 ${path}`);
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw error;
    const code = codeOf(error);
    if (code === 'ENOENT') fail('does not exist', error);
    if (code === 'EACCES' || code === 'EPERM') fail('is not readable by this user', error);
    fail(`cannot be read (${code || String(error)})`, error);
  }
  const token = text.trim();
  if (!isWellFormedToken(token)) fail(`does not hold a dist-exec token (one line, ${TOKEN_PREFIX} and 43 characters)`);
  return token;
}

/** Where a process takes its token from, in order: the first one given wins. */
export interface TokenSources {
  /** --token */
  token?: string | undefined;
  /** --token-file */
  tokenFile?: string | undefined;
  /** $DIST_EXEC_TOKEN */
  envToken?: string | undefined;
  /** $DIST_EXEC_TOKEN_FILE */
  envTokenFile?: string | undefined;
  /** Files tried last, when they exist and can be read (the local master's admin.token for the CLI). */
  fallbackFiles?: readonly string[];
}

/** A token and where it came from (for messages), or null when no source gave one. */
export function resolveToken(sources: TokenSources): { token: string; source: string } | null {
  const given = (value: string | undefined, source: string): { token: string; source: string } => {
    const token = (value ?? '').trim();
    if (!isWellFormedToken(token))
      throw new InvalidArgumentError(
        `${source}: not a dist-exec token (${TOKEN_PREFIX} and 43 characters); check for a copy-paste mistake`,
        { field: source },
      );
    return { token, source };
  };
  if (sources.token) return given(sources.token, '--token');
  if (sources.tokenFile) return { token: readTokenFile(sources.tokenFile), source: sources.tokenFile };
  if (sources.envToken) return given(sources.envToken, 'DIST_EXEC_TOKEN');
  if (sources.envTokenFile)
    return { token: readTokenFile(sources.envTokenFile, 'DIST_EXEC_TOKEN_FILE'), source: sources.envTokenFile };
  for (const file of sources.fallbackFiles ?? []) {
    try {
      return { token: readTokenFile(file), source: file };
    } catch {
      // Only a convenience: a missing or unreadable default file is no error.
    }
  }
  return null;
}
