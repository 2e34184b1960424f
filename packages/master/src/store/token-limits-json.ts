import { NO_TOKEN_LIMITS, type RateLimit, type TokenLimits } from '@dist-exec/core';
import type { StoredToken } from './store.js';

/**
 * A token's limits as every store keeps them: one JSON text column, '{}'
 * for none, so adding a kind of limit needs no schema change. Only what
 * differs from no limits is written.
 */
export function limitsToJson(limits: TokenLimits | undefined): string {
  if (!limits) return '{}';
  const json: Record<string, unknown> = {};
  if (limits.maxPending) json.maxPending = limits.maxPending;
  if (limits.maxRunning) json.maxRunning = limits.maxRunning;
  if (limits.rateLimit) json.rateLimit = limits.rateLimit;
  if (limits.allowCommands.length) json.allowCommands = limits.allowCommands;
  if (limits.denyCommands.length) json.denyCommands = limits.denyCommands;
  return JSON.stringify(json);
}

const count = (value: unknown): number =>
  Number.isSafeInteger(value) && (value as number) >= 0 ? (value as number) : 0;
const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];

function rate(value: unknown): RateLimit | null {
  if (typeof value !== 'object' || value === null) return null;
  const r = value as Record<string, unknown>;
  const periodMs = count(r.periodMs);
  return periodMs ? { count: count(r.count), periodMs, burst: count(r.burst) } : null;
}

/** What `limitsToJson` wrote; fields it does not know or cannot read are left out (no limit). */
export function limitsFromJson(text: string): TokenLimits {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return NO_TOKEN_LIMITS;
  }
  if (typeof json !== 'object' || json === null) return NO_TOKEN_LIMITS;
  const j = json as Record<string, unknown>;
  return {
    maxPending: count(j.maxPending),
    maxRunning: count(j.maxRunning),
    rateLimit: rate(j.rateLimit),
    allowCommands: strings(j.allowCommands),
    denyCommands: strings(j.denyCommands),
  };
}

/** A token's columns in the order both stores' upserts take them (hash, name, role, times, creator, limits). */
export function tokenRowValues(t: StoredToken): unknown[] {
  return [
    t.hash,
    t.name,
    t.role,
    t.createdAtMs,
    t.expiresAtMs,
    t.revokedAtMs,
    t.lastUsedAtMs,
    t.createdBy,
    limitsToJson(t.limits),
  ];
}
