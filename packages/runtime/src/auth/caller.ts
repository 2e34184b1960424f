import type { TokenRole } from '@dist-exec/core';

/**
 * Limits of a caller's token. Empty for now: rate limits and quotas per
 * token come here, so that handlers and the interceptor find them where
 * they find the caller.
 */
export type CallerLimits = Readonly<Record<string, never>>;

/** Who makes a call, as the auth interceptor established it; handlers read it with `callerOf`. */
export interface Caller {
  /** The token's name: what audit records (submittedBy, cancelledBy) and logs show. */
  readonly name: string;
  /** `master`: the master calling a worker with the secret the worker handed it. */
  readonly role: TokenRole | 'master';
  /** Identifies the credential (not its secret), so its open streams can be ended when it is revoked. */
  readonly credentialId: string;
  readonly limits: CallerLimits;
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
  limits: Object.freeze({}),
});

/** Parses `Bearer <token>` (the scheme in any case); null when absent or of another scheme. */
export function bearerToken(header: string | undefined | null): string | null {
  if (!header) return null;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return match ? (match[1] as string) : null;
}
