import { describe, expect, it } from 'vitest';
import { DistExecClient } from '@dist-exec/client';
import { freePort, startMasterProcess, startProgram, until } from '@dist-exec/testing';

describe('real processes', () => {
  it('a worker started before the master retries with backoff, says so, and registers once the master is up', async () => {
    const port = await freePort();
    const worker = startProgram('worker', [
      '--master',
      `127.0.0.1:${port}`,
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--id',
      'early-bird',
    ]);
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
      ]);
      try {
        await worker.waitForLog('registered with the master');
        const client = new DistExecClient({ address: `127.0.0.1:${port}` });
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
    const worker = startProgram('worker', [
      '--master',
      master.address,
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--id',
      'leaving',
    ]);
    const client = new DistExecClient({ address: master.address });
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

  it('`dist-exec up` starts a working cluster and stops all of it on Ctrl-C', async () => {
    const up = startProgram('cli', [
      'up',
      '--workers',
      '2',
      '--port',
      '0',
      '--http-port',
      '0',
      '--store',
      'memory',
      '--log-level',
      'warn',
    ]);
    try {
      const line = await until(() => up.logs.find((l) => /dist-exec is up/.test(String(l.msg))), {
        message: 'the cluster to come up',
      });
      const address = /master at (\S+) /.exec(String(line.msg))?.[1] as string;
      const client = new DistExecClient({ address, retry: { retries: 0 } });
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
