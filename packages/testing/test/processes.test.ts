import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DistExecClient } from '@dist-exec/client';
import { freePort, runCli, startMasterProcess, startProgram, tempDir, until } from '@dist-exec/testing';

describe('real processes', () => {
  it('a worker started before the master retries with backoff, says so, and registers once the master is up', async () => {
    const port = await freePort();
    // The worker token exists before the master: the master keeps a --worker-token-file it finds.
    const dataDir = tempDir();
    const workerTokenFile = join(dataDir, 'worker.token');
    writeFileSync(workerTokenFile, `dxt_${'w'.repeat(43)}\n`, { mode: 0o600 });
    const worker = startProgram(
      'worker',
      ['--master', `127.0.0.1:${port}`, '--port', '0', '--id', 'early-bird', '--state-dir', tempDir()],
      { DIST_EXEC_TOKEN_FILE: workerTokenFile },
    );
    try {
      await worker.waitForLog('cannot reach the master; retrying');
      const master = startProgram('master', [
        '--host',
        '127.0.0.1',
        '--port',
        String(port),
        '--http-port',
        '0',
        '--store',
        'memory',
        '--data-dir',
        dataDir,
        '--worker-token-file',
        workerTokenFile,
      ]);
      try {
        await worker.waitForLog('registered with the master');
        const token = readFileSync(join(dataDir, 'admin.token'), 'utf8').trim();
        const client = new DistExecClient({ address: `127.0.0.1:${port}`, token });
        const { job } = await client.submit({ command: 'echo "$DIST_EXEC_NODE_ID"' });
        await client.waitForJob(job.id);
        expect(Buffer.from((await client.getJob(job.id, { output: true })).stdout!).toString()).toBe('early-bird\n');
        client.close();
      } finally {
        // The worker first: a stopping worker waits for the master to take its finished results.
        worker.kill();
        await worker.exited;
        master.kill();
        await master.exited;
      }
    } finally {
      worker.kill('SIGKILL');
      await worker.exited;
    }
  });

  it('a worker given SIGTERM finishes its running job, deregisters and exits 0', async () => {
    const master = await startMasterProcess();
    const worker = startProgram(
      'worker',
      ['--master', master.address, '--port', '0', '--id', 'leaving', '--state-dir', tempDir()],
      { DIST_EXEC_TOKEN_FILE: master.workerTokenFile },
    );
    const client = new DistExecClient({ address: master.address, token: master.token });
    try {
      await worker.waitForLog('registered with the master');
      const { job } = await client.submit({ command: 'sleep 1; echo finished' });
      // Started on the worker, not only placed: a dispatch still in flight when the
      // worker starts draining is declined and requeued, which is right but not this test.
      await until(async () => (await client.getJob(job.id)).startedAtMs !== null);
      worker.kill('SIGTERM');
      expect(await worker.exited).toEqual({ code: 0, signal: null });
      const done = await client.getJob(job.id, { output: true });
      expect(done.state).toBe('COMPLETED');
      expect(Buffer.from(done.stdout!).toString()).toBe('finished\n');
      expect(await client.listNodes()).toEqual([]);
    } finally {
      client.close();
      worker.kill('SIGKILL');
      master.kill();
      await master.exited;
    }
  });

  it('`dist-exec up` starts a working cluster, the CLI beside it needs no token step, and Ctrl-C stops it all', async () => {
    // As `npm start` in a fresh clone: the master's files go to ./.dist-exec of where it runs.
    const cwd = tempDir();
    const up = startProgram(
      'cli',
      ['up', '--workers', '2', '--port', '0', '--http-port', '0', '--store', 'memory', '--log-level', 'warn'],
      {},
      { cwd },
    );
    try {
      const line = await until(() => up.logs.find((l) => /dist-exec is up/.test(String(l.msg))), {
        message: 'the cluster to come up',
      });
      const address = /master at (\S+) /.exec(String(line.msg))?.[1] as string;
      // The dashboard link carries the admin token in its fragment, as Jupyter's does.
      const link = await until(() => up.logs.find((l) => /^Dashboard: http/.test(String(l.msg))));
      const token = /#token=(dxt_\S+)$/.exec(String(link.msg))?.[1] as string;
      expect(token).toBe(readFileSync(join(cwd, '.dist-exec', 'admin.token'), 'utf8').trim());
      // The quick start's next command: no --token, no variable; the CLI finds ./.dist-exec/admin.token.
      const run = await runCli(['run', 'echo from $DIST_EXEC_NODE_ID'], { DIST_EXEC_MASTER: address }, undefined, {
        cwd,
      });
      expect(run.stderr).toBe('');
      expect(run.stdout.toString()).toMatch(/^from worker-\d\n$/);
      const client = new DistExecClient({ address, token, retry: { retries: 0 } });
      const jobs = await client.submitMany([
        { command: 'echo $DIST_EXEC_NODE_ID' },
        { command: 'echo $DIST_EXEC_NODE_ID' },
      ]);
      const done = await Promise.all(jobs.map((j) => client.waitForJob(j.id)));
      expect(done.map((j) => j.workerId).sort()).toEqual(['worker-1', 'worker-2']);
      up.kill('SIGINT');
      expect(await up.exited).toEqual({ code: 0, signal: null });
      await expect(client.listNodes()).rejects.toThrow();
      client.close();
    } finally {
      up.kill('SIGKILL');
    }
  });
});
