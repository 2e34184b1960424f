import { execFileSync } from 'node:child_process';
import { InvalidArgumentError } from '@dist-exec/core';
import type { Credentials } from '../executors/spawner-protocol.js';

/** A user jobs may run as, resolved once at start. */
export interface JobUser extends Credentials {
  name: string;
  home: string;
}

const USER_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/;

/**
 * Looks a user up through the system's name service (`getent`, so LDAP and
 * the like count, not only /etc/passwd), with its primary and supplementary
 * groups (`id -G`). Throws an error naming `field` when there is no such user.
 */
export function resolveUser(name: string, field: string): JobUser {
  if (!USER_NAME.test(name)) throw new InvalidArgumentError(`${field}: "${name}" is not a user name`, { field });
  let entry: string;
  try {
    entry = execFileSync('getent', ['passwd', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new InvalidArgumentError(
      missing
        ? `${field}: cannot look users up: getent is not installed`
        : `${field}: no user "${name}" on this machine`,
      { field },
    );
  }
  const fields = entry.trim().split('\n')[0]?.split(':') ?? [];
  const uid = Number(fields[2]);
  const gid = Number(fields[3]);
  if (fields.length < 7 || !Number.isInteger(uid) || !Number.isInteger(gid))
    throw new InvalidArgumentError(`${field}: getent returned an entry for "${name}" that is not passwd(5)`, { field });
  let groups = [gid];
  try {
    groups = execFileSync('id', ['-G', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .trim()
      .split(/\s+/)
      .map(Number)
      .filter((g) => Number.isInteger(g));
  } catch {
    // Without `id`, the primary group only.
  }
  return { name, uid, gid, groups, home: fields[5] || '/' };
}
