import { describe, expect, it } from 'vitest';
import { runCli, startMasterProcess, startProgram, startWorkerProcess, tempDir, until } from '@dist-exec/testing';

describe('process logs', () => {
  it('are JSON lines carrying jobId, attempt and nodeId through a job, at debug level', async () => {
    const master = await startMasterProcess(['--log-level', 'debug', '--snapshot-interval', '0']);
    const worker = await startWorkerProcess(master, ['--id', 'log-worker', '--log-level', 'debug']);
    try {
      const run = await runCli([
        '--master',
        master.address,
        '--token-file',
        master.tokenFile,
        'run',
        'echo logged; exit 4',
      ]);
      expect(run.code).toBe(4);
      const finished = await until(() => master.logs.find((l) => l.msg === 'job finished'), {
        message: 'the master to log the finished job',
      });
      const jobId = finished.jobId as string;
      expect(finished).toMatchObject({
        service: 'master',
        component: 'jobs',
        attempt: 1,
        nodeId: 'log-worker',
        state: 'FAILED',
        reason: 'EXIT_CODE',
        exitCode: 4,
      });
      expect(typeof finished.runtimeMs).toBe('number');
      for (const msg of ['job submitted', 'attempt started', 'attempt ended']) {
        expect(
          master.logs.find((l) => l.msg === msg && l.jobId === jobId),
          msg,
        ).toBeTruthy();
      }
      expect(master.logs.find((l) => l.msg === 'placed job')).toMatchObject({
        jobId,
        attempt: 1,
        nodeId: 'log-worker',
      });
      const ran = await until(() => worker.logs.find((l) => l.msg === 'attempt finished' && l.jobId === jobId), {
        message: 'the worker to log the attempt',
      });
      expect(ran).toMatchObject({
        service: 'worker',
        attempt: 1,
        nodeId: 'log-worker',
        reason: 'EXIT_CODE',
        exitCode: 4,
      });
      // Every worker line names the node once it knows its id.
      expect(
        worker.logs
          .filter((l) => typeof l.level === 'number' && l.msg !== 'worker listening')
          .every((l) => l.nodeId === 'log-worker'),
      ).toBe(true);
    } finally {
      worker.kill();
      await worker.exited;
      master.kill();
      await master.exited;
    }
  });

  it('are one readable line each with --log-format pretty (what a terminal gets by default)', async () => {
    const master = startProgram('master', [
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--http-port',
      '0',
      '--store',
      'memory',
      '--data-dir',
      tempDir(),
      '--log-format',
      'pretty',
    ]);
    try {
      const line = await until(() => master.logs.find((l) => /master listening/.test(String(l.msg))), {
        message: 'the listening line',
      });
      expect(String(line.msg)).toMatch(
        /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: master listening \{"port":\d+,"httpPort":\d+,.*\}$/,
      );
      expect(
        master.logs.some((l) => /^\[.*\] INFO: \[cluster-state\] recovered jobs from the store/.test(String(l.msg))),
      ).toBe(true);
    } finally {
      master.kill();
      await master.exited;
    }
  });

  it('refuses an unknown log format with a one-line error', async () => {
    const master = startProgram('master', ['--log-format', 'xml']);
    const { code } = await master.exited;
    expect(code).not.toBe(0);
    const text = master.logs.map((l) => String(l.msg)).join('\n');
    expect(text).toMatch(/--log-format.*xml.*Allowed choices are auto, json, pretty/);
    expect(text).not.toMatch(/\n\s+at /);
  });
});
