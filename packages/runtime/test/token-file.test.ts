import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTokenFile, resolveToken } from '@dist-exec/runtime';
import { tempDir } from '@dist-exec/testing';

const TOKEN = `dxt_${'t'.repeat(43)}`;

function file(content: string, mode = 0o600): string {
  const path = join(tempDir(), 'token');
  writeFileSync(path, content, { mode });
  chmodSync(path, mode);
  return path;
}

describe('token files', () => {
  it('give the token, one line, trimmed', () => {
    expect(readTokenFile(file(`${TOKEN}\n`))).toBe(TOKEN);
  });

  it('say which file is wrong and why: missing, not a file, open to every user, no token', () => {
    const dir = tempDir();
    expect(() => readTokenFile(join(dir, 'nope'), 'DIST_EXEC_TOKEN_FILE')).toThrow(
      `DIST_EXEC_TOKEN_FILE ${join(dir, 'nope')}: does not exist`,
    );
    mkdirSync(join(dir, 'sub'));
    expect(() => readTokenFile(join(dir, 'sub'))).toThrow(`token file ${join(dir, 'sub')}: is not a file`);
    const open = file(TOKEN, 0o644);
    expect(() => readTokenFile(open)).toThrow(
      `token file ${open}: is readable by every user (mode 644); run chmod 600 ${open}`,
    );
    expect(() => readTokenFile(file('hunter2\n'))).toThrow(/does not hold a dist-exec token/);
    expect(() => readTokenFile(file(''))).toThrow(/does not hold a dist-exec token/);
  });
});

describe('where a process takes its token from', () => {
  it('the first given of --token, --token-file, DIST_EXEC_TOKEN, DIST_EXEC_TOKEN_FILE, then fallback files', () => {
    const other = `dxt_${'o'.repeat(43)}`;
    const path = file(TOKEN);
    expect(resolveToken({ token: other, tokenFile: path })).toEqual({ token: other, source: '--token' });
    expect(resolveToken({ tokenFile: path, envToken: other })).toEqual({ token: TOKEN, source: path });
    expect(resolveToken({ envToken: other, envTokenFile: path })).toEqual({ token: other, source: 'DIST_EXEC_TOKEN' });
    expect(resolveToken({ envTokenFile: path })).toEqual({ token: TOKEN, source: path });
    expect(resolveToken({ fallbackFiles: [join(tempDir(), 'missing'), path] })).toEqual({ token: TOKEN, source: path });
    expect(resolveToken({})).toBeNull();
  });

  it('refuses a malformed token from a flag or variable, and a bad file it was pointed at; a bad fallback is skipped', () => {
    expect(() => resolveToken({ token: 'hunter2' })).toThrow(
      '--token: not a dist-exec token (dxt_ and 43 characters); check for a copy-paste mistake',
    );
    expect(() => resolveToken({ envToken: 'x' })).toThrow(/^DIST_EXEC_TOKEN: not a dist-exec token/);
    expect(() => resolveToken({ envTokenFile: file(TOKEN, 0o644) })).toThrow(
      /DIST_EXEC_TOKEN_FILE .*readable by every user/,
    );
    expect(resolveToken({ fallbackFiles: [file(TOKEN, 0o644)] })).toBeNull();
  });
});
