/** Conversions of TokenService messages: roles and token descriptions. */
import type { TokenInfo, TokenRole } from '@dist-exec/core';
import type { TokenInfo as WireTokenInfo, TokenInfo__Output } from './generated/distexec/v1/TokenInfo.js';
import type { TokenRole__Output } from './generated/distexec/v1/TokenRole.js';
import { num } from './convert.js';

export function tokenRoleToWire(role: TokenRole): TokenRole__Output {
  return `TOKEN_ROLE_${role.toUpperCase() as Uppercase<TokenRole>}`;
}

/** null for UNSPECIFIED or a value this version does not know. */
export function tokenRoleFromWire(role: TokenRole__Output | number): TokenRole | null {
  if (typeof role !== 'string' || role === 'TOKEN_ROLE_UNSPECIFIED') return null;
  const name = role.slice('TOKEN_ROLE_'.length).toLowerCase();
  return name === 'admin' || name === 'submit' || name === 'read' || name === 'worker' ? name : null;
}

export function tokenInfoToWire(token: TokenInfo): WireTokenInfo {
  return {
    name: token.name,
    role: tokenRoleToWire(token.role),
    createdAtMs: token.createdAtMs,
    lastUsedAtMs: token.lastUsedAtMs ?? 0,
    expiresAtMs: token.expiresAtMs ?? 0,
    revokedAtMs: token.revokedAtMs ?? 0,
    createdBy: token.createdBy,
    source: token.source,
  };
}

export function tokenInfoFromWire(token: TokenInfo__Output): TokenInfo {
  return {
    name: token.name,
    role: tokenRoleFromWire(token.role) ?? 'read',
    createdAtMs: num(token.createdAtMs),
    lastUsedAtMs: num(token.lastUsedAtMs) || null,
    expiresAtMs: num(token.expiresAtMs) || null,
    revokedAtMs: num(token.revokedAtMs) || null,
    createdBy: token.createdBy,
    source: token.source,
  };
}
