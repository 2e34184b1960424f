import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startTestCluster, tempDir, type TestCluster } from '@dist-exec/testing';

let cluster: TestCluster;
/** No token of the test's own environment may leak in, nor a ./.dist-exec/admin.token of the repository. */
let cwd: string;
let admin: NodeJS.ProcessEnv;

beforeAll(async () => {
  cluster = await startTestCluster({ workers: 0 });
  cwd = tempDir();
  admin = { DIST_EXEC_MASTER: cluster.address, DIST_EXEC_TOKEN: cluster.adminToken };
});
afterAll(() => cluster?.stop());

const cli = (args: string[], env: NodeJS.ProcessEnv) =>
  runCli(args, { DIST_EXEC_TOKEN: '', DIST_EXEC_TOKEN_FILE: '', ...env }, undefined, { cwd });

describe('dist-exec token', () => {
  it('create prints the token once, list shows it without its secret, revoke refuses it from then on', async () => {
    const made = await cli(['token', 'create', '--role', 'submit', '--name', 'ci', '--ttl', '30d'], admin);
    expect(made.code, made.stderr).toBe(0);
    const secret = made.stdout.toString().trim();
    expect(secret).toMatch(/^dxt_[A-Za-z0-9_-]{43}$/);
    expect(made.stderr).toMatch(/token "ci" \(role submit, expires 20\d\d-.*\) created; it is shown only now/);

    const ci = { DIST_EXEC_MASTER: cluster.address, DIST_EXEC_TOKEN: secret };
    expect((await cli(['list'], ci)).code).toBe(0);
    const denied = await cli(['token', 'list'], ci);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toBe(
      'dist-exec: token "ci" (role submit) may not call ListTokens: it needs an admin token\n',
    );

    const listed = await cli(['token', 'list', '--json'], admin);
    expect(listed.stdout.toString()).not.toContain(secret.slice(4));
    const tokens = JSON.parse(listed.stdout.toString()) as Record<string, unknown>[];
    expect(tokens.find((t) => t.name === 'ci')).toMatchObject({
      role: 'submit',
      createdBy: 'admin',
      source: 'store',
      expiresAt: expect.stringMatching(/^20\d\d-/),
      lastUsedAt: expect.stringMatching(/^20\d\d-/),
      revokedAt: null,
    });
    expect(tokens.find((t) => t.name === 'admin')).toMatchObject({
      role: 'admin',
      source: cluster.master.options.adminTokenFile,
    });
    expect(await cli(['token', 'revoke', 'ci'], admin)).toMatchObject({ code: 0, stderr: '' });
    const refused = await cli(['list'], ci);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      'dist-exec: the master refused the token from DIST_EXEC_TOKEN: token "ci" was revoked; ask an admin for a new one\n',
    );
  });

  it('says in one line which token file is wrong and why', async () => {
    // Every other case of token files is a unit test of the runtime package (token-file.test.ts).
    const open = join(tempDir(), 'open.token');
    writeFileSync(open, `${cluster.adminToken}\n`);
    chmodSync(open, 0o644);
    const result = await cli(['--token-file', open, 'list'], { DIST_EXEC_MASTER: cluster.address });
    expect(result).toMatchObject({
      code: 1,
      stderr: `dist-exec: token file ${open}: is readable by every user (mode 644); run chmod 600 ${open}\n`,
    });
  });
});
