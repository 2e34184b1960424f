/**
 * TLS and mTLS with real processes: a master that requires client
 * certificates, workers with and without one, the CLI with and without the
 * CA, the HTTPS port; bad certificate files at start; and, in one process,
 * what a client says when the master's certificate is not what it expects.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DistExecClient } from '@dist-exec/client';
import { issueCertificate, parseHostSpecs, writeTlsDir, type TlsDirReport } from '@dist-exec/runtime';
import {
  httpRequest,
  runCli,
  startMasterProcess,
  startProgram,
  startTestCluster,
  startWorkerProcess,
  tempDir,
  until,
  type RunningProgram,
  type TestCluster,
} from '@dist-exec/testing';

const programs: RunningProgram[] = [];
const stoppers: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const program of programs.splice(0)) {
    program.kill('SIGKILL');
    await program.exited;
  }
  for (const stop of stoppers.splice(0).reverse()) await stop();
});

let tls: TlsDirReport;
let other: TlsDirReport;
/** The files of a host made by tls init: `localhost` (localhost, 127.0.0.1) or `worker1` (worker1 only). */
const host = (name: string): { cert: string; key: string } => {
  const found = tls.hosts.find((h) => h.name === name);
  if (!found) throw new Error(`no ${name}`);
  return { cert: found.certFile, key: found.keyFile };
};

beforeAll(async () => {
  const dir = tempDir('dist-exec-tls-');
  tls = await writeTlsDir(join(dir, 'tls'), parseHostSpecs('localhost+127.0.0.1,worker1'));
  other = await writeTlsDir(join(dir, 'other'), parseHostSpecs('127.0.0.1'));
}, 60_000);

/** The lines a program wrote that are not JSON log entries (what it says to a person). */
function plainLines(program: RunningProgram): string[] {
  return program.logs.filter((entry) => entry.level === undefined).map((entry) => String(entry.msg));
}

describe('a cluster with mTLS between master, workers and the CLI', () => {
  it('refuses a worker without a client certificate, runs a job through one with it, and serves HTTPS', async () => {
    const localhost = host('localhost');
    const ca = tls.caFile;
    // On every interface: with TLS, no warning that traffic crosses the network unencrypted.
    const master = await startMasterProcess([
      '--host',
      '0.0.0.0',
      '--tls-cert',
      localhost.cert,
      '--tls-key',
      localhost.key,
      '--tls-ca',
      ca,
      '--tls-client-ca',
      ca,
    ]);
    programs.push(master);
    expect(master.logs.find((e) => e.msg === 'master listening')).toMatchObject({ tls: 'mtls' });

    // A worker that trusts the master but has no certificate of its own: refused, and it says why in one line.
    const bare = startProgram(
      'worker',
      ['--master', master.address, '--port', '0', '--state-dir', tempDir(), '--tls-ca', ca],
      { DIST_EXEC_TOKEN_FILE: master.workerTokenFile },
    );
    programs.push(bare);
    const refused = await bare.waitForLog('the master refused this worker', 30_000);
    expect(refused.error).toBe(
      `the master at ${master.address} requires a client certificate: pass --tls-cert and --tls-key (a certificate signed by its --tls-client-ca)`,
    );

    // One with a certificate, given by the environment, serving mTLS itself: the master dials it with its own.
    const worker = await startWorkerProcess(master, ['--id', 'tls-worker'], {
      DIST_EXEC_TLS_CERT: localhost.cert,
      DIST_EXEC_TLS_KEY: localhost.key,
      DIST_EXEC_TLS_CA: ca,
      DIST_EXEC_TLS_CLIENT_CA: ca,
    });
    programs.push(worker);
    expect(worker.logs.find((e) => e.msg === 'worker listening')).toMatchObject({ tls: 'mtls' });

    const cli = (args: string[]): ReturnType<typeof runCli> =>
      runCli(['--master', master.address, '--token-file', master.tokenFile, ...args]);
    const run = await cli([
      '--tls-ca',
      ca,
      '--tls-cert',
      localhost.cert,
      '--tls-key',
      localhost.key,
      'run',
      'echo over-tls; env',
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const output = run.stdout.toString();
    expect(output).toContain('over-tls\n');
    expect(output).toContain('DIST_EXEC_NODE_ID=tls-worker');
    // The worker was given its key's path in its environment; its jobs do not see it.
    expect(output).not.toContain(localhost.key);
    expect(output).not.toContain('DIST_EXEC_TLS_');

    // Without the CA the CLI speaks plaintext to a TLS port; with the CA but no certificate, mTLS refuses it.
    const plain = await cli(['nodes']);
    expect(plain.code).toBe(1);
    expect(plain.stderr).toBe(
      `dist-exec: the master at ${master.address} closed the connection: if it serves TLS, pass --tls-ca (the CA of its certificate)\n`,
    );
    const noCert = await cli(['--tls-ca', ca, 'run', 'true']);
    expect(noCert.code).toBe(125);
    expect(noCert.stderr).toBe(
      `dist-exec: the master at ${master.address} requires a client certificate: pass --tls-cert and --tls-key (a certificate signed by its --tls-client-ca)\n`,
    );

    // The HTTP port serves HTTPS with the same certificate (no client certificate: the token is checked).
    const api = await httpRequest(`https://127.0.0.1:${master.httpPort}/api/v1/nodes`, {
      token: master.token,
      ca: readFileSync(ca),
    });
    expect(api.status).toBe(200);
    expect(api.json).toEqual([expect.objectContaining({ id: 'tls-worker', state: 'HEALTHY' })]);
    expect(master.logs.filter((e) => /without TLS/.test(String(e.msg)))).toEqual([]);
    await expect(httpRequest(`https://127.0.0.1:${master.httpPort}/healthz`)).rejects.toThrow(
      /unable to verify the first certificate/,
    );
  });
});

describe('bad certificate files at start', () => {
  it('stop the master and the worker with one line naming the flag and the file, and exit code 2', async () => {
    const dir = tempDir('dist-exec-bad-tls-');
    const ca = { cert: readFileSync(tls.caFile, 'utf8'), key: readFileSync(join(tls.caFile, '..', 'ca.key'), 'utf8') };
    const day = 86_400_000;
    const old = await issueCertificate(ca, ['127.0.0.1'], {
      notBeforeMs: Date.now() - 10 * day,
      notAfterMs: Date.now() - day,
    });
    const expiredCert = join(dir, 'expired.crt');
    const expiredKey = join(dir, 'expired.key');
    writeFileSync(expiredCert, old.cert);
    writeFileSync(expiredKey, old.key, { mode: 0o600 });
    const localhost = host('localhost');
    const missing = join(dir, 'missing.crt');
    const cases: Array<{ program: 'master' | 'worker'; args: string[]; line: RegExp }> = [
      {
        program: 'master',
        args: ['--tls-cert', expiredCert, '--tls-key', expiredKey],
        line: /^dist-exec-master: --tls-cert \S+expired\.crt: the certificate expired on \S+; make a new one$/,
      },
      {
        program: 'master',
        args: ['--tls-cert', localhost.cert, '--tls-key', host('worker1').key],
        line: /^dist-exec-master: --tls-key \S+worker1\.key: is not the key of the certificate in --tls-cert \S+localhost\.crt$/,
      },
      {
        program: 'master',
        args: ['--tls-cert', localhost.cert, '--tls-key', localhost.key, '--tls-client-ca', missing],
        line: /^dist-exec-master: --tls-client-ca \S+missing\.crt: does not exist$/,
      },
      {
        program: 'worker',
        args: ['--tls-ca', missing],
        line: /^dist-exec-worker: --tls-ca \S+missing\.crt: does not exist$/,
      },
    ];
    const started = cases.map((c) =>
      startProgram(
        c.program,
        [
          '--port',
          '0',
          ...(c.program === 'master' ? ['--http-port', '0', '--store', 'memory', '--data-dir', dir] : []),
          ...c.args,
        ],
        c.program === 'worker' ? { DIST_EXEC_TOKEN: 'dxt_' + 'a'.repeat(43) } : {},
      ),
    );
    programs.push(...started);
    for (const [index, program] of started.entries()) {
      const { code } = await program.exited;
      // The stream's last line may arrive after the exit.
      await until(() => plainLines(program).length > 0);
      expect(plainLines(program)).toEqual([expect.stringMatching(cases[index]?.line ?? /never/)]);
      expect(code).toBe(2);
    }
  });
});

describe('what a client says about a certificate it cannot trust', () => {
  const clusters: TestCluster[] = [];
  afterEach(async () => {
    for (const c of clusters.splice(0)) await c.stop();
  });

  async function attempt(address: string, options: ConstructorParameters<typeof DistExecClient>[0]): Promise<string> {
    const client = new DistExecClient({ address, retry: { retries: 0 }, connectTimeoutMs: 5000, ...options });
    try {
      await client.listNodes();
      return 'answered';
    } catch (error) {
      return (error as Error).message;
    } finally {
      client.close();
    }
  }

  it('names the host a certificate is for, a CA that did not sign it, and a master without TLS', async () => {
    const worker1 = host('worker1');
    const c = await startTestCluster({ workers: 0, master: { tls: { cert: worker1.cert, key: worker1.key } } });
    clusters.push(c);
    const ca = readFileSync(tls.caFile);
    const token = c.adminToken;
    expect(await attempt(c.address, { token, tls: { ca, cert: null, key: null } })).toBe(
      `the certificate of the master at ${c.address} is for worker1, not 127.0.0.1: dial a name it holds, or give it a certificate for this name`,
    );
    expect(await attempt(c.address, { token, tls: { ca: readFileSync(other.caFile), cert: null, key: null } })).toBe(
      `the certificate of the master at ${c.address} is not signed by the CA in --tls-ca: give --tls-ca the CA that signed it`,
    );
    const plain = await startTestCluster({ workers: 0 });
    clusters.push(plain);
    expect(await attempt(plain.address, { token: plain.adminToken, tls: { ca, cert: null, key: null } })).toBe(
      `the master at ${plain.address} does not serve TLS (no --tls-cert): dial it without --tls-ca and --tls-cert, or start it with --tls-cert and --tls-key`,
    );
  });
  it('the master says which certificate a worker it dials presents, in the failed attempt', async () => {
    const localhost = host('localhost');
    const ca = tls.caFile;
    const c = await startTestCluster({
      workers: 0,
      master: { tls: { cert: localhost.cert, key: localhost.key, ca }, dispatchFailureThreshold: 100 },
    });
    clusters.push(c);
    // It registers (it trusts the master), but it serves a certificate for worker1 while it advertises 127.0.0.1.
    const worker1 = host('worker1');
    const worker = await c.addWorker({ tls: { cert: worker1.cert, key: worker1.key, ca } });
    const client = new DistExecClient({
      address: c.address,
      token: c.adminToken,
      tls: { ca: readFileSync(ca), cert: null, key: null },
    });
    stoppers.push(async () => client.close());
    const { job } = await client.submit({ command: 'true' });
    const [node] = await client.listNodes();
    const failed = await until(async () => {
      const seen = await client.getJob(job.id);
      return seen.attemptHistory.find((a) => a.error !== '');
    });
    expect(failed.error).toContain(
      `the certificate of worker ${worker.id} at ${node?.address ?? '?'} is for worker1, not 127.0.0.1`,
    );
  });
});
