import type { Command } from 'commander';
import { isoTime, isTokenRole, parseDuration, TOKEN_ROLES, type TokenInfo } from '@dist-exec/core';
import { writeOut, type CliContext } from '../context.js';
import { ago, table } from '../format.js';

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
  };
}

function tokensTable(tokens: readonly TokenInfo[], nowMs: number): string {
  return table(
    ['NAME', 'ROLE', 'CREATED', 'LAST USED', 'EXPIRES', 'SOURCE'],
    tokens.map((t) => [
      t.revokedAtMs ? `${t.name} (revoked)` : t.name,
      t.role,
      ago(t.createdAtMs, nowMs),
      ago(t.lastUsedAtMs, nowMs),
      t.expiresAtMs ? (isoTime(t.expiresAtMs) ?? '-') : 'never',
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
    .option('--json', 'print the token and its description as JSON')
    .action(async (flags: { name: string; role: string; ttl?: string; json?: boolean }) => {
      if (!isTokenRole(flags.role))
        throw new Error(`--role: "${flags.role}" is not a role; use ${TOKEN_ROLES.join(', ')}`);
      const ttlMs = flags.ttl ? parseDuration(flags.ttl, '--ttl') : 0;
      const { token: info, secret } = await context().client.createToken({ name: flags.name, role: flags.role, ttlMs });
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
