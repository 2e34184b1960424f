import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import {
  AlreadyExistsError,
  FailedPreconditionError,
  InvalidArgumentError,
  isTokenName,
  isTokenRole,
  isWellFormedToken,
  NotFoundError,
  TOKEN_NAME_RULE,
  TOKEN_PREFIX,
  TOKEN_ROLES,
  type Clock,
  type Timer,
  type TokenInfo,
  type TokenRole,
} from '@dist-exec/core';
import type { Authentication, Caller, OpenStreams } from '@dist-exec/runtime';
import type { Logger } from 'pino';
import type { Store, StoredToken } from '../store/store.js';

/** How often the registry ends the streams of expired tokens, in ms. */
export const DEFAULT_TOKEN_TICK_MS = 5000;
/** Last use is written to the store at most this often, in ms (never a write per call). */
export const DEFAULT_LAST_USED_WRITE_MS = 60_000;
/** Longest lifetime `token create --ttl` accepts: ten years. */
export const MAX_TOKEN_TTL_MS = 10 * 365 * 24 * 3_600_000;

export interface TokenRegistryOptions {
  store: Pick<Store, 'putToken' | 'flush'>;
  clock: Clock;
  logger: Logger;
  /** Streams opened with a token, ended when it is revoked or expires. */
  streams: OpenStreams;
  /** Told after a token is revoked (its nodes are dropped). */
  onRevoked?(name: string): void;
  /** @default DEFAULT_TOKEN_TICK_MS */
  tickMs?: number;
  /** @default DEFAULT_LAST_USED_WRITE_MS */
  lastUsedWriteMs?: number;
}

/** A token the master accepts (or accepted): its hash, never its secret. */
interface TokenEntry {
  record: StoredToken;
  hashBytes: Buffer;
  /** '' for tokens in the store, else the file it was read from (not revocable through the API). */
  file: string;
  caller: Caller;
}

export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/** A new token: the prefix and 256 random bits in base64url (43 characters). */
export function newTokenSecret(): string {
  return `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

const HOW_TO_PRESENT =
  'pass --token or --token-file, or set DIST_EXEC_TOKEN or DIST_EXEC_TOKEN_FILE (over gRPC: metadata "authorization: Bearer <token>")';

/**
 * The tokens the master accepts, and the check every call goes through.
 * Tokens are kept by the SHA-256 of their secret, which is what a presented
 * token is looked up by: the check does not depend on a token's name, so
 * neither its answer nor its time tells whether a name exists, and the found
 * hash is compared in constant time. Last use is noted in memory on each
 * call and written to the store about once a minute.
 */
export class TokenRegistry {
  readonly #options: TokenRegistryOptions;
  readonly #log: Logger;
  readonly #byHash = new Map<string, TokenEntry>();
  /** Tokens not revoked, by name. */
  readonly #live = new Map<string, TokenEntry>();
  readonly #usedSinceWrite = new Set<TokenEntry>();
  /** Compared against when no token matches, so a miss costs what a hit costs. */
  readonly #decoy = hashToken(newTokenSecret());
  #timer: Timer | null = null;
  #lastWriteMs = 0;

  constructor(options: TokenRegistryOptions) {
    this.#options = options;
    this.#log = options.logger.child({ component: 'tokens' });
  }

  /** Takes the stored tokens (at start). */
  load(tokens: readonly StoredToken[]): void {
    for (const record of tokens) this.#add(record, '');
  }

  /** Accepts the token read from `file` under `name` (the bootstrap admin and worker tokens); not revocable. */
  addFileToken(name: string, role: TokenRole, token: string, file: string): void {
    const existing = this.#live.get(name);
    if (existing) {
      throw new FailedPreconditionError(
        `a token named "${name}" is in the store already; revoke it (dist-exec token revoke ${name}) or move ${file} away`,
      );
    }
    const now = this.#options.clock.now();
    const record: StoredToken = {
      name,
      role,
      hash: hashToken(token).toString('hex'),
      createdAtMs: now,
      expiresAtMs: null,
      revokedAtMs: null,
      lastUsedAtMs: null,
      createdBy: '',
    };
    this.#add(record, file);
  }

  #add(record: StoredToken, file: string): TokenEntry {
    const entry: TokenEntry = {
      record,
      hashBytes: Buffer.from(record.hash, 'hex'),
      file,
      caller: Object.freeze({ name: record.name, role: record.role, credentialId: randomUUID(), limits: {} }),
    };
    this.#byHash.set(record.hash, entry);
    if (record.revokedAtMs === null) this.#live.set(record.name, entry);
    return entry;
  }

  /** The check of every call: who presents `credential`, or why it is refused (one line saying what to do). */
  authenticate(credential: string | null): Authentication {
    if (credential === null) return { ok: false, reason: `this call needs a token: ${HOW_TO_PRESENT}` };
    if (!isWellFormedToken(credential)) {
      return {
        ok: false,
        reason: `the token is malformed (a dist-exec token is ${TOKEN_PREFIX} and 43 characters); check for a copy-paste mistake`,
      };
    }
    const hash = hashToken(credential);
    const entry = this.#byHash.get(hash.toString('hex'));
    // Constant time over the hash, found or not.
    const match = timingSafeEqual(hash, entry?.hashBytes ?? this.#decoy) && entry !== undefined;
    if (!match || !entry) return { ok: false, reason: 'unknown token; ask an admin for one (dist-exec token create)' };
    const { record } = entry;
    if (record.revokedAtMs !== null)
      return { ok: false, reason: `token "${record.name}" was revoked; ask an admin for a new one` };
    const now = this.#options.clock.now();
    if (record.expiresAtMs !== null && now >= record.expiresAtMs) {
      return {
        ok: false,
        reason: `token "${record.name}" expired at ${new Date(record.expiresAtMs).toISOString()}; ask an admin for a new one`,
      };
    }
    record.lastUsedAtMs = now;
    if (!entry.file) this.#usedSinceWrite.add(entry);
    return { ok: true, caller: entry.caller };
  }

  /** Makes a token; resolves once it is durable, with its secret (shown only now). */
  async create(
    input: { name: string; role: string; ttlMs: number },
    createdBy: string,
  ): Promise<{ token: TokenInfo; secret: string }> {
    const { name, role, ttlMs } = input;
    if (!isTokenName(name))
      throw new InvalidArgumentError(`name: "${name}" is not a token name; use ${TOKEN_NAME_RULE}`, { field: 'name' });
    if (!isTokenRole(role))
      throw new InvalidArgumentError(`role: "${role}" is not a role; use ${TOKEN_ROLES.join(', ')}`, { field: 'role' });
    if (!Number.isSafeInteger(ttlMs) || ttlMs < 0 || ttlMs > MAX_TOKEN_TTL_MS)
      throw new InvalidArgumentError(`ttl: ${ttlMs}ms is out of range; use 0 (no expiry) up to 10 years`, {
        field: 'ttl',
      });
    if (this.#live.has(name)) {
      throw new AlreadyExistsError(
        `a token named "${name}" exists; revoke it first (dist-exec token revoke ${name}) or choose another name`,
      );
    }
    const secret = newTokenSecret();
    const now = this.#options.clock.now();
    const record: StoredToken = {
      name,
      role,
      hash: hashToken(secret).toString('hex'),
      createdAtMs: now,
      expiresAtMs: ttlMs > 0 ? now + ttlMs : null,
      revokedAtMs: null,
      lastUsedAtMs: null,
      createdBy,
    };
    // Reserved while the write is in flight, so two creates of one name cannot both pass.
    const entry = this.#add(record, '');
    this.#options.store.putToken(record);
    try {
      await this.#options.store.flush();
    } catch (error) {
      this.#byHash.delete(record.hash);
      this.#live.delete(name);
      throw error;
    }
    this.#log.info({ token: name, role, createdBy, expiresAtMs: record.expiresAtMs }, 'token created');
    return { token: this.#info(entry), secret };
  }

  /** Newest last; revoked ones only when asked. */
  list(includeRevoked = false): TokenInfo[] {
    return [...this.#byHash.values()]
      .filter((entry) => includeRevoked || entry.record.revokedAtMs === null)
      .sort((a, b) => a.record.createdAtMs - b.record.createdAtMs)
      .map((entry) => this.#info(entry));
  }

  /**
   * Refuses the token from its next call on, ends its open streams now, and
   * resolves once the revocation is durable. Tokens from files cannot be
   * revoked here: the file is where they live.
   */
  async revoke(name: string): Promise<TokenInfo> {
    const entry = this.#live.get(name);
    if (!entry) {
      const revoked = [...this.#byHash.values()].find((e) => e.record.name === name);
      if (revoked) return this.#info(revoked);
      throw new NotFoundError(`no token named "${name}"; dist-exec token list shows them`);
    }
    if (entry.file) {
      throw new FailedPreconditionError(
        `token "${name}" comes from ${entry.file}; to replace it, stop the master, delete that file and start the master again`,
      );
    }
    entry.record.revokedAtMs = this.#options.clock.now();
    this.#live.delete(name);
    this.#options.store.putToken(entry.record);
    const ended = this.#options.streams.end(entry.caller.credentialId, `token "${name}" was revoked`);
    this.#options.onRevoked?.(name);
    await this.#options.store.flush();
    this.#log.info({ token: name, endedStreams: ended }, 'token revoked');
    return this.#info(entry);
  }

  #info(entry: TokenEntry): TokenInfo {
    const { record } = entry;
    return {
      name: record.name,
      role: record.role,
      createdAtMs: record.createdAtMs,
      lastUsedAtMs: record.lastUsedAtMs,
      expiresAtMs: record.expiresAtMs,
      revokedAtMs: record.revokedAtMs,
      createdBy: record.createdBy,
      source: entry.file || 'store',
    };
  }

  /** Starts the timer that ends streams of expired tokens and writes last use. */
  start(): void {
    if (this.#timer) return;
    this.#lastWriteMs = this.#options.clock.now();
    const tick = (): void => {
      this.tick(this.#options.clock.now());
      this.#timer = this.#options.clock.setTimeout(tick, this.#options.tickMs ?? DEFAULT_TOKEN_TICK_MS);
    };
    // Clock timers never keep the process alive.
    this.#timer = this.#options.clock.setTimeout(tick, this.#options.tickMs ?? DEFAULT_TOKEN_TICK_MS);
  }

  /** One round of upkeep at `nowMs` (the timer calls it; tests too). */
  tick(nowMs: number): void {
    for (const entry of this.#live.values()) {
      const expires = entry.record.expiresAtMs;
      if (expires !== null && nowMs >= expires && this.#options.streams.count(entry.caller.credentialId) > 0)
        this.#options.streams.end(entry.caller.credentialId, `token "${entry.record.name}" expired`);
    }
    if (nowMs - this.#lastWriteMs >= (this.#options.lastUsedWriteMs ?? DEFAULT_LAST_USED_WRITE_MS)) {
      this.#lastWriteMs = nowMs;
      this.writeLastUse();
    }
  }

  /** Puts the last use of tokens used since the previous write into the store (it commits with the next write). */
  writeLastUse(): void {
    for (const entry of this.#usedSinceWrite) this.#options.store.putToken(entry.record);
    this.#usedSinceWrite.clear();
  }

  /** Stops the timer and hands last use to the store (the master flushes it as it stops). */
  stop(): void {
    this.#timer?.cancel();
    this.#timer = null;
    this.writeLastUse();
  }
}
