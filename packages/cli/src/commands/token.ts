import type { Command } from 'commander';
import {
  CommandPolicy,
  formatRateLimit,
  isoTime,
  isTokenRole,
  parseDuration,
  parseInteger,
  parseRateLimit,
  MAX_JOB_QUOTA,
  TOKEN_ROLES,
  type TokenInfo,
  type TokenLimits,
} from '@dist-exec/core';
import { writeOut, type CliContext } from '../context.js';
import { ago, table } from '../format.js';
import { collect } from './job-spec-flags.js';

function tokenJson(token: TokenInfo): Record<string, unknown> {
  return {
    name: token.name,
    role: token.role,
    createdAt: isoTime(token.createdAtMs),
    lastUsedAt: isoTime(token.lastUsedAtMs),
    expiresAt: isoTime(token.expiresAtMs),
    revokedAt: isoTime(token.revokedAtMs),
    createdBy: token.createdBy || null,
    source: token.source,
    maxPending: token.limits.maxPending || null,
    maxRunning: token.limits.maxRunning || null,
    rateLimit: token.limits.rateLimit ? formatRateLimit(token.limits.rateLimit) : null,
    allowCommands: token.limits.allowCommands,
    denyCommands: token.limits.denyCommands,
  };
}

/** What `token list` says of a token's limits: `pending 10000, running 64, 50/s, commands` or '-'. */
function limitsCell(limits: TokenLimits): string {
  const parts: string[] = [];
  if (limits.maxPending) parts.push(`pending ${limits.maxPending}`);
  if (limits.maxRunning) parts.push(`running ${limits.maxRunning}`);
  if (limits.rateLimit) parts.push(formatRateLimit(limits.rateLimit));
  if (limits.allowCommands.length || limits.denyCommands.length) parts.push('command rules');
  return parts.join(', ') || '-';
}

interface CreateFlags {
  name: string;
  role: string;
  ttl?: string;
  json?: boolean;
  maxPending?: string;
  maxRunning?: string;
  rateLimit?: string;
  rateBurst?: string;
  allowCommand?: string[];
  denyCommand?: string[];
}

/** The limits the flags of `token create` ask for, checked here so a mistake names its flag. */
function limitsFrom(flags: CreateFlags): TokenLimits {
  const limits: TokenLimits = {
    maxPending: flags.maxPending ? parseInteger(flags.maxPending, '--max-pending', 0, MAX_JOB_QUOTA) : 0,
    maxRunning: flags.maxRunning ? parseInteger(flags.maxRunning, '--max-running', 0, MAX_JOB_QUOTA) : 0,
    rateLimit: flags.rateLimit ? parseRateLimit(flags.rateLimit, flags.rateBurst) : null,
    allowCommands: flags.allowCommand ?? [],
    denyCommands: flags.denyCommand ?? [],
  };
  if (flags.rateBurst && !flags.rateLimit) throw new Error('--rate-burst: give --rate-limit too');
  new CommandPolicy({ allow: limits.allowCommands, deny: limits.denyCommands }, 'the token');
  return limits;
}

function tokensTable(tokens: readonly TokenInfo[], nowMs: number): string {
  return table(
    ['NAME', 'ROLE', 'CREATED', 'LAST USED', 'EXPIRES', 'LIMITS', 'SOURCE'],
    tokens.map((t) => [
      t.revokedAtMs ? `${t.name} (revoked)` : t.name,
      t.role,
      ago(t.createdAtMs, nowMs),
      ago(t.lastUsedAtMs, nowMs),
      t.expiresAtMs ? (isoTime(t.expiresAtMs) ?? '-') : 'never',
      limitsCell(t.limits),
      t.source,
    ]),
  );
}

/** `dist-exec token create|list|revoke`: the master's tokens (an admin token is needed). */
export function registerToken(program: Command, context: () => CliContext): void {
  const token = program.command('token').description('manage who may call the master (needs an admin token)');

  token
    .command('create')
    .description('make a token and print it (shown only this once)')
    .requiredOption('--name <name>', 'what audit records and `token list` show, e.g. ci')
    .requiredOption('--role <role>', `${TOKEN_ROLES.join(', ')}`)
    .option('--ttl <duration>', 'expire after this long, e.g. 30d (default: never)')
    .option('--max-pending <n>', 'most of its jobs pending at once; more submits are refused (default: no limit)')
    .option('--max-running <n>', 'most of its jobs running at once; the others wait (default: no limit)')
    .option('--rate-limit <rate>', "its calls' rate, e.g. 50/s or 600/m, or off (default: the master's --rate-limit)")
    .option('--rate-burst <n>', 'calls beyond the rate allowed at once (default: one period of the rate)')
    .option('--allow-command <regex>', 'it may submit only commands this matches whole (repeatable)', collect)
    .option('--deny-command <regex>', 'it may not submit commands this matches anywhere (repeatable)', collect)
    .option('--json', 'print the token and its description as JSON')
    .action(async (flags: CreateFlags) => {
      if (!isTokenRole(flags.role))
        throw new Error(`--role: "${flags.role}" is not a role; use ${TOKEN_ROLES.join(', ')}`);
      const ttlMs = flags.ttl ? parseDuration(flags.ttl, '--ttl') : 0;
      const limits = limitsFrom(flags);
      const { token: info, secret } = await context().client.createToken({
        name: flags.name,
        role: flags.role,
        ttlMs,
        limits,
      });
      if (flags.json) {
        await writeOut(process.stdout, `${JSON.stringify({ ...tokenJson(info), token: secret }, null, 2)}\n`);
        return;
      }
      // The secret alone on stdout (for `> file`), the advice on stderr.
      await writeOut(process.stdout, `${secret}\n`);
      process.stderr.write(
        `token "${info.name}" (role ${info.role}${info.expiresAtMs ? `, expires ${isoTime(info.expiresAtMs)}` : ''}) created; ` +
          'it is shown only now: keep it in a file of mode 0600 and pass it with --token-file or DIST_EXEC_TOKEN_FILE\n',
      );
    });

  token
    .command('list')
    .description('tokens: names, roles, created, last used, expiry (never their secrets)')
    .option('--all', 'also revoked tokens')
    .option('--json', 'print a JSON array')
    .action(async (flags: { all?: boolean; json?: boolean }) => {
      const tokens = await context().client.listTokens({ includeRevoked: flags.all ?? false });
      await writeOut(
        process.stdout,
        flags.json ? `${JSON.stringify(tokens.map(tokenJson), null, 2)}\n` : `${tokensTable(tokens, Date.now())}\n`,
      );
    });

  token
    .command('revoke')
    .description('refuse a token from now on (its open streams end too)')
    .argument('<name>', 'token name')
    .option('--json', 'print the revoked token as JSON')
    .action(async (name: string, flags: { json?: boolean }) => {
      const info = await context().client.revokeToken(name);
      await writeOut(
        process.stdout,
        flags.json ? `${JSON.stringify(tokenJson(info), null, 2)}\n` : `token "${info.name}" revoked\n`,
      );
    });
}
