import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Worker } from '@dist-exec/worker';
import {
  freePort,
  httpRequest,
  metricValue,
  promtoolCheck,
  promtoolPath,
  startTestCluster,
  tempDir,
  testLogger,
  toolsRequired,
  until,
  type TestCluster,
} from '@dist-exec/testing';

/** The master's /metrics needs a read token; a worker's serves anyone who reaches its (opt-in) port. */
const scrape = async (port: number, token?: string): Promise<string> => {
  const res = await httpRequest(`http://127.0.0.1:${port}/metrics`, token ? { token } : {});
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text;
};

describe('master and worker metrics and health over HTTP', () => {
  let cluster: TestCluster;
  let masterHttp: number;
  let workerHttp: number;

  beforeAll(async () => {
    cluster = await startTestCluster({ workers: 1, worker: { httpPort: 0 } });
    masterHttp = cluster.master.httpPort;
    workerHttp = cluster.workers[0]?.httpPort ?? 0;
    const { job: ok } = await cluster.client.submit({ command: 'echo ok' });
    const { job: bad } = await cluster.client.submit({ command: 'exit 3' });
    await cluster.client.waitForJob(ok.id);
    await cluster.client.waitForJob(bad.id);
    await expect(cluster.client.submit({ command: 'true', timeoutMs: -5 })).rejects.toThrow(/timeout_ms/);
  });
  afterAll(() => cluster?.stop());

  it('counts submitted, rejected and finished jobs, and times them', async () => {
    expect(masterHttp).toBeGreaterThan(0);
    const text = await scrape(masterHttp, cluster.adminToken);
    expect(metricValue(text, 'dist_exec_jobs_submitted_total')).toBe(2);
    expect(metricValue(text, 'dist_exec_jobs_rejected_total', { code: 'INVALID_ARGUMENT' })).toBe(1);
    expect(metricValue(text, 'dist_exec_jobs_finished_total', { state: 'COMPLETED', reason: 'none' })).toBe(1);
    expect(metricValue(text, 'dist_exec_jobs_finished_total', { state: 'FAILED', reason: 'EXIT_CODE' })).toBe(1);
    expect(metricValue(text, 'dist_exec_attempts_total', { result: 'succeeded' })).toBe(1);
    expect(metricValue(text, 'dist_exec_job_runtime_seconds_count', { state: 'COMPLETED' })).toBe(1);
    expect(metricValue(text, 'dist_exec_job_runtime_seconds_count', { state: 'FAILED' })).toBe(1);
    expect(metricValue(text, 'dist_exec_job_queue_wait_seconds_count')).toBe(2);
    expect(metricValue(text, 'dist_exec_dispatch_latency_seconds_count')).toBe(2);
    expect(metricValue(text, 'dist_exec_nodes', { state: 'HEALTHY' })).toBe(1);
    expect(metricValue(text, 'dist_exec_nodes', { state: 'LOST' })).toBe(0);
    expect(metricValue(text, 'dist_exec_task_slots', { kind: 'total' })).toBe(4);
    expect(metricValue(text, 'dist_exec_jobs', { state: 'RUNNING' })).toBe(0);
    // Seed 003's names, beside ours.
    expect(metricValue(text, 'jobs_total')).toBe(2);
    expect(metricValue(text, 'jobs_completed_total')).toBe(1);
    expect(metricValue(text, 'jobs_failed_total')).toBe(1);
    expect(metricValue(text, 'job_runtime_seconds_count')).toBe(2);
    expect(metricValue(text, 'job_runtime_seconds_bucket', { le: '+Inf' })).toBe(2);
  });

  it('counts heartbeats as they arrive', async () => {
    const before =
      metricValue(await scrape(masterHttp, cluster.adminToken), 'dist_exec_heartbeats_received_total') ?? 0;
    await until(
      async () =>
        (metricValue(await scrape(masterHttp, cluster.adminToken), 'dist_exec_heartbeats_received_total') ?? 0) >
        before,
      {
        message: 'a heartbeat to be counted',
      },
    );
  });

  it('shows running jobs and queue depth by priority while they wait', async () => {
    const sleepers = await cluster.client.submitMany(Array.from({ length: 4 }, () => ({ command: 'sleep 30' })));
    const waiting = await cluster.client.submitMany([
      { command: 'true', priority: 5 },
      { command: 'true', priority: 5 },
      { command: 'true' },
    ]);
    await until(
      async () =>
        metricValue(await scrape(masterHttp, cluster.adminToken), 'dist_exec_jobs', { state: 'RUNNING' }) === 4,
      {
        message: '4 running jobs',
      },
    );
    const text = await scrape(masterHttp, cluster.adminToken);
    expect(metricValue(text, 'dist_exec_queue_depth', { priority: '5' })).toBe(2);
    expect(metricValue(text, 'dist_exec_queue_depth', { priority: '0' })).toBe(1);
    expect(metricValue(text, 'dist_exec_task_slots', { kind: 'used' })).toBe(4);
    await until(async () => metricValue(await scrape(workerHttp), 'dist_exec_worker_running_tasks') === 4, {
      message: 'the worker to report 4 running tasks',
    });
    for (const job of sleepers) await cluster.client.cancel(job.id);
    for (const job of waiting) await cluster.client.waitForJob(job.id);
    const after = await scrape(masterHttp, cluster.adminToken);
    expect(metricValue(after, 'dist_exec_queue_depth', { priority: '5' })).toBeUndefined();
    expect(metricValue(after, 'dist_exec_jobs_finished_total', { state: 'CANCELLED', reason: 'CANCELLED' })).toBe(4);
  });

  it('counts executions by result on the worker', async () => {
    const text = await scrape(workerHttp);
    expect(
      metricValue(text, 'dist_exec_worker_executions_total', { type: 'command', result: 'succeeded' }),
    ).toBeGreaterThanOrEqual(4);
    expect(metricValue(text, 'dist_exec_worker_executions_total', { type: 'command', result: 'EXIT_CODE' })).toBe(1);
    expect(metricValue(text, 'dist_exec_worker_executor_errors_total', { type: 'command' })).toBe(0);
    expect(metricValue(text, 'dist_exec_worker_max_tasks')).toBe(4);
  });

  it('answers health and readiness on master and worker', async () => {
    for (const port of [masterHttp, workerHttp]) {
      const live = await httpRequest(`http://127.0.0.1:${port}/healthz`);
      expect(live.status).toBe(200);
      expect(live.json).toEqual({ status: 'ok' });
      const ready = await httpRequest(`http://127.0.0.1:${port}/readyz`);
      expect(ready.status).toBe(200);
      expect((ready.json as { status: string }).status).toBe('ready');
    }
    const ready = await httpRequest(`http://127.0.0.1:${masterHttp}/readyz`);
    expect(ready.json).toEqual({ status: 'ready', checks: { store: 'open', scheduler: 'running' } });
    const missing = await httpRequest(`http://127.0.0.1:${workerHttp}/nope`);
    expect(missing.status).toBe(404);
    expect((missing.json as { error: { code: string } }).error.code).toBe('NOT_FOUND');
  });

  it.skipIf(!promtoolPath() && !toolsRequired())('passes promtool check metrics on master and worker', async () => {
    for (const port of [masterHttp, workerHttp]) {
      const result = await promtoolCheck(await scrape(port, cluster.adminToken));
      expect(result.output).toBe('');
      expect(result.code).toBe(0);
    }
  });
});

describe('worker readiness', () => {
  it('is alive but not ready while it cannot reach the master', async () => {
    const nowhere = await freePort();
    const worker = new Worker(
      {
        masterAddress: `127.0.0.1:${nowhere}`,
        host: '127.0.0.1',
        port: 0,
        httpPort: 0,
        id: 'lonely',
        stateDir: tempDir(),
      },
      { logger: testLogger() },
    );
    await worker.start();
    try {
      const port = worker.httpPort ?? 0;
      expect((await httpRequest(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      const ready = await httpRequest(`http://127.0.0.1:${port}/readyz`);
      expect(ready.status).toBe(503);
      expect(ready.json).toEqual({
        status: 'not ready',
        checks: { master: 'not registered', draining: 'no', fenced: 'no' },
      });
    } finally {
      await worker.kill();
    }
  });
});

describe('metrics from the first scrape', () => {
  it('exports every label value of the fixed enums at zero before any job', async () => {
    const cluster = await startTestCluster({ workers: 0 });
    try {
      const text = await scrape(cluster.master.httpPort, cluster.adminToken);
      const finished = [
        ['COMPLETED', 'none'],
        ['CANCELLED', 'CANCELLED'],
        ['FAILED', 'EXIT_CODE'],
        ['FAILED', 'TIMEOUT'],
        ['FAILED', 'WORKER_LOST'],
        ['FAILED', 'EXECUTOR_ERROR'],
      ];
      for (const [state, reason] of finished)
        expect(metricValue(text, 'dist_exec_jobs_finished_total', { state: state!, reason: reason! })).toBe(0);
      for (const code of ['INVALID_ARGUMENT', 'RESOURCE_EXHAUSTED', 'UNAVAILABLE', 'INTERNAL'])
        expect(metricValue(text, 'dist_exec_jobs_rejected_total', { code })).toBe(0);
      for (const result of ['succeeded', 'EXIT_CODE', 'TIMEOUT', 'WORKER_LOST', 'CANCELLED', 'EXECUTOR_ERROR'])
        expect(metricValue(text, 'dist_exec_attempts_total', { result })).toBe(0);
      for (const name of ['jobs_total', 'jobs_completed_total', 'jobs_failed_total', 'job_runtime_seconds_count'])
        expect(metricValue(text, name)).toBe(0);
    } finally {
      await cluster.stop();
    }
  });
});
