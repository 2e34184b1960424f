import type { CommandPolicy, TokenLimits, TokenRole } from '@dist-exec/core';

/** Who makes a call, as the auth interceptor established it; handlers read it with `callerOf`. */
export interface Caller {
  /** The token's name: what audit records (submittedBy, cancelledBy) and logs show. */
  readonly name: string;
  /** `master`: the master calling a worker with the secret the worker handed it. */
  readonly role: TokenRole | 'master';
  /** Identifies the credential (not its secret), so its open streams can be ended when it is revoked. */
  readonly credentialId: string;
  /** Quotas, rate limit and command rules of the caller's token (none when absent). */
  readonly limits?: TokenLimits;
  /** The token's command rules, compiled (absent: none). */
  readonly commands?: CommandPolicy;
}

/** A call refused for its rate: how long until the caller may call again, and one line saying so. */
export interface Throttle {
  retryAfterMs: number;
  reason: string;
}

/** What an authenticator answers for a presented credential. */
export type Authentication =
  | { ok: true; caller: Caller }
  /** `reason`: one line for the caller saying what is wrong and what to do. */
  | { ok: false; reason: string };

/** The caller of a master whose authentication is off (`--auth none`): anyone, as admin. */
export const ANONYMOUS_ADMIN: Caller = Object.freeze({
  name: 'anonymous',
  role: 'admin',
  credentialId: 'anonymous',
});

/** Parses `Bearer <token>` (the scheme in any case); null when absent or of another scheme. */
export function bearerToken(header: string | undefined | null): string | null {
  if (!header) return null;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return match ? (match[1] as string) : null;
}
