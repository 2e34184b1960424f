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
    const table = (await cli(['token', 'list'], admin)).stdout.toString();
    expect(table).toMatch(/^NAME +ROLE +CREATED +LAST USED +EXPIRES +SOURCE\n/);
    expect(table).toMatch(/\nci +submit +/);

    expect(await cli(['token', 'revoke', 'ci'], admin)).toMatchObject({ code: 0, stderr: '' });
    const refused = await cli(['list'], ci);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      'dist-exec: the master refused the token from DIST_EXEC_TOKEN: token "ci" was revoked; ask an admin for a new one\n',
    );
    const again = await cli(['token', 'create', '--role', 'root', '--name', 'x'], admin);
    expect(again).toMatchObject({
      code: 1,
      stderr: 'dist-exec: --role: "root" is not a role; use admin, submit, read, worker\n',
    });
  });

  it('says which token file is wrong and why; with no token at all, how to give one', async () => {
    const dir = tempDir();
    const missing = join(dir, 'nope.token');
    expect((await cli(['list'], { DIST_EXEC_MASTER: cluster.address, DIST_EXEC_TOKEN_FILE: missing })).stderr).toBe(
      `dist-exec: DIST_EXEC_TOKEN_FILE ${missing}: does not exist\n`,
    );
    const open = join(dir, 'open.token');
    writeFileSync(open, `${cluster.adminToken}\n`);
    chmodSync(open, 0o644);
    expect((await cli(['--token-file', open, 'list'], { DIST_EXEC_MASTER: cluster.address })).stderr).toBe(
      `dist-exec: token file ${open}: is readable by every user (mode 644); run chmod 600 ${open}\n`,
    );
    const junk = join(dir, 'junk.token');
    writeFileSync(junk, 'not a token\n', { mode: 0o600 });
    expect((await cli(['--token-file', junk, 'list'], { DIST_EXEC_MASTER: cluster.address })).stderr).toMatch(
      /^dist-exec: token file .*junk\.token: does not hold a dist-exec token/,
    );
    expect((await cli(['--token', 'hunter2', 'list'], { DIST_EXEC_MASTER: cluster.address })).stderr).toBe(
      'dist-exec: --token: not a dist-exec token (dxt_ and 43 characters); check for a copy-paste mistake\n',
    );
    const none = await cli(['list'], { DIST_EXEC_MASTER: cluster.address });
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(
      /^dist-exec: this call needs a token: pass --token or --token-file, or set DIST_EXEC_TOKEN/,
    );
  });
});
