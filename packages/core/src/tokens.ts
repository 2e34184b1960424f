/**
 * Who may do what. A token has one role; each call needs one permission.
 * `admin` may do everything; `submit` submits, cancels and reads; `read`
 * reads jobs, output, nodes, the cluster and metrics; `worker` registers,
 * heartbeats and leaves (its own node only). `master` is no role of a token:
 * it is what a worker grants the master it registered with (the secret it
 * handed over), to call its ExecutionService.
 */
export const TOKEN_ROLES = ['admin', 'submit', 'read', 'worker'] as const;
export type TokenRole = (typeof TOKEN_ROLES)[number];

/** What a call needs: a permission, or nothing at all (`open`: health, reflection). */
export type Permission = 'open' | 'read' | 'submit' | 'worker' | 'admin' | 'master';

/** The permissions each role (and the master's credential on a worker) carries. */
const GRANTS: Record<TokenRole | 'master', ReadonlySet<Permission>> = {
  admin: new Set(['open', 'read', 'submit', 'worker', 'admin']),
  submit: new Set(['open', 'read', 'submit']),
  read: new Set(['open', 'read']),
  worker: new Set(['open', 'worker']),
  master: new Set(['open', 'master']),
};

export function isTokenRole(value: string): value is TokenRole {
  return (TOKEN_ROLES as readonly string[]).includes(value);
}

/** Whether a caller with `role` may make a call that needs `permission`. */
export function roleGrants(role: TokenRole | 'master', permission: Permission): boolean {
  return GRANTS[role].has(permission);
}

/**
 * Tokens look like `dxt_` and 43 base64url characters (256 random bits), so
 * a token is recognisable in a leaked log or file (as GitHub's `ghp_` is) and
 * a malformed one is refused before any lookup.
 */
export const TOKEN_PREFIX = 'dxt_';
const TOKEN_PATTERN = /^dxt_[A-Za-z0-9_-]{43}$/;

export function isWellFormedToken(token: string): boolean {
  return TOKEN_PATTERN.test(token);
}

/** Token names: what audit records and `token list` show. */
const TOKEN_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export function isTokenName(name: string): boolean {
  return TOKEN_NAME_PATTERN.test(name);
}

export const TOKEN_NAME_RULE = '1-63 letters, digits, ".", "_" or "-", starting with a letter or digit';

/** A token as `token list` shows it: never its secret. */
export interface TokenInfo {
  name: string;
  role: TokenRole;
  createdAtMs: number;
  /** null = never used (recorded about once a minute, not on every call). */
  lastUsedAtMs: number | null;
  /** null = never expires. */
  expiresAtMs: number | null;
  /** null = not revoked. */
  revokedAtMs: number | null;
  /** Name of the token that created it; '' for tokens read from files. */
  createdBy: string;
  /** 'store' (made with `token create`) or the file the master read it from. */
  source: string;
}
