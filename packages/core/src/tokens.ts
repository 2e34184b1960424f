import { InvalidArgumentError } from './errors.js';

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
  /** Quotas, rate limit and command rules of this token. */
  limits: TokenLimits;
}

/** Calls a token may make: `count` per `periodMs`, and bursts of up to `burst` more. `count` 0: no limit. */
export interface RateLimit {
  count: number;
  periodMs: number;
  burst: number;
}

/** No rate limit at all (`--rate-limit off`). */
export const NO_RATE_LIMIT: RateLimit = Object.freeze({ count: 0, periodMs: 1000, burst: 0 });

const RATE_PERIODS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000 };
/** Most calls a rate may allow per period. */
export const MAX_RATE_COUNT = 1_000_000;

/**
 * Parses `--rate-limit 200/s` (also `/m`, `/h`; `off` or `0`: none) and its
 * burst (`--rate-burst`, calls beyond the rate allowed at once; default: as
 * many as the rate allows in a period).
 */
export function parseRateLimit(text: string, burst: string | undefined, field = '--rate-limit'): RateLimit {
  const input = text.trim().toLowerCase();
  if (input === 'off' || input === '0' || input === 'none') return NO_RATE_LIMIT;
  const match = /^(\d+)\s*\/\s*(s|m|h)$/.exec(input);
  const count = match ? Number(match[1]) : NaN;
  if (!match || count < 1 || count > MAX_RATE_COUNT) {
    throw new InvalidArgumentError(
      `${field}: "${text}" is not a rate; write calls per second, minute or hour like 200/s or 30/m (off: no limit)`,
      { field },
    );
  }
  const burstField = field.replace('rate-limit', 'rate-burst');
  const extra = burst === undefined || burst.trim() === '' ? count : Number(burst.trim());
  if (!Number.isInteger(extra) || extra < 0 || extra > MAX_RATE_COUNT)
    throw new InvalidArgumentError(`${burstField}: "${burst}" is not a whole number from 0 to ${MAX_RATE_COUNT}`, {
      field: burstField,
    });
  return { count, periodMs: RATE_PERIODS[match[2] as string] as number, burst: extra };
}

/** `200/s`, `30/m` (with `+400 burst` when there is one); `off` for no limit. */
export function formatRateLimit(rate: RateLimit): string {
  if (rate.count === 0) return 'off';
  const unit = rate.periodMs === 60_000 ? 'm' : rate.periodMs === 3_600_000 ? 'h' : 's';
  return `${rate.count}/${unit}${rate.burst ? ` (burst ${rate.burst})` : ''}`;
}

/** What one token may do beyond its role: quotas, its own rate limit, command rules. */
export interface TokenLimits {
  /** Most of its jobs PENDING at once; a submit beyond is refused. 0: no limit. */
  maxPending: number;
  /** Most of its jobs RUNNING at once; the rest wait (their status says why). 0: no limit. */
  maxRunning: number;
  /** Its calls' rate; null: the master's --rate-limit. */
  rateLimit: RateLimit | null;
  /** Commands it may submit (regular expressions matching the whole command); empty: any. */
  allowCommands: readonly string[];
  /** Commands it may not submit (regular expressions matching anywhere). */
  denyCommands: readonly string[];
}

export const NO_TOKEN_LIMITS: TokenLimits = Object.freeze({
  maxPending: 0,
  maxRunning: 0,
  rateLimit: null,
  allowCommands: Object.freeze([]),
  denyCommands: Object.freeze([]),
});

/** Most jobs a quota may name. */
export const MAX_JOB_QUOTA = 100_000_000;
