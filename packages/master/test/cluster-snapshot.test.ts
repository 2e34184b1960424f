import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino, type Logger } from 'pino';
import { describeCluster, type ClusterJson, type ClusterSnapshot, type NodeInfo } from '@dist-exec/core';
import { compactSnapshot, MAX_LOGGED_NODES, SnapshotLog } from '@dist-exec/master';
import {
  FakeClock,
  httpRequest,
  runCli,
  startMasterProcess,
  startTestCluster,
  startWorkerProcess,
  until,
  type TestCluster,
} from '@dist-exec/testing';

function node(id: string, overrides: Partial<NodeInfo> = {}): NodeInfo {
  return {
    id,
    address: `127.0.0.1:${5000 + id.length}`,
    state: 'HEALTHY',
    draining: false,
    capabilities: ['command'],
    labels: {},
    maxTasks: 4,
    activeTasks: 1,
    cpus: 2,
    usedCpus: 0.5,
    memoryBytes: 8 * 1024 ** 3,
    usedMemoryBytes: 1024 ** 3,
    weight: 1,
    lastHeartbeatMs: 1_000_000,
    registeredAtMs: 900_000,
    version: '0.1.0',
    drainDeadlineMs: 0,
    unavailableReason: '',
    recentFlaps: 0,
    ...overrides,
  };
}

const snapshotAt = (atMs: number, nodes: NodeInfo[]): ClusterSnapshot => ({
  atMs,
  masterId: 'm-1',
  jobs: { PENDING: 3, RUNNING: 2, COMPLETED: 10, FAILED: 1, CANCELLED: 0 },
  queueByPriority: [
    { priority: 5, count: 1 },
    { priority: 0, count: 2 },
  ],
  nodes,
});

/** A logger whose lines land in an array. */
function capture(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger: Logger = pino(
    { level: 'info' },
    { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  return { logger, lines };
}

describe('the periodic cluster snapshot', () => {
  it('logs jobs by state, queue depth, use and per-node health and heartbeat age every interval', async () => {
    const clock = new FakeClock(1_000_000);
    const { logger, lines } = capture();
    const nodes = [
      node('w1'),
      node('w2', { state: 'UNHEALTHY', activeTasks: 0, usedCpus: 0, usedMemoryBytes: 0, lastHeartbeatMs: 990_000 }),
    ];
    const log = new SnapshotLog({
      snapshot: async () => snapshotAt(clock.now(), nodes),
      clock,
      logger,
      intervalMs: 30_000,
    });
    log.start();
    clock.advance(29_999);
    await Promise.resolve();
    expect(lines).toHaveLength(0);
    clock.advance(1);
    await until(() => lines.length === 1, { message: 'the first snapshot' });
    expect(lines[0]).toMatchObject({
      msg: 'cluster snapshot',
      component: 'snapshot',
      jobs: { PENDING: 3, RUNNING: 2, COMPLETED: 10, FAILED: 1, CANCELLED: 0 },
      queueDepth: 3,
      queueByPriority: { '5': 1, '0': 2 },
      slots: '1/8',
      cpus: '0.5/4',
      memory: '1Gi/16Gi',
      nodesByState: { HEALTHY: 1, UNHEALTHY: 1 },
      nodes: [
        { id: 'w1', state: 'HEALTHY', heartbeatAgeMs: 30_000, tasks: '1/4', cpu: '0.5/2', memory: '1Gi/8Gi' },
        { id: 'w2', state: 'UNHEALTHY', heartbeatAgeMs: 40_000, tasks: '0/4' },
      ],
    });
    clock.advance(30_000);
    await until(() => lines.length === 2, { message: 'the second snapshot' });
    log.stop();
    clock.advance(120_000);
    await Promise.resolve();
    expect(lines).toHaveLength(2);
  });

  it('is off with an interval of 0', async () => {
    const clock = new FakeClock();
    const { logger, lines } = capture();
    const log = new SnapshotLog({ snapshot: async () => snapshotAt(clock.now(), []), clock, logger, intervalMs: 0 });
    log.start();
    clock.advance(3_600_000);
    await Promise.resolve();
    expect(lines).toEqual([]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('keeps the line short on a big cluster', () => {
    const nodes = Array.from({ length: 1000 }, (_, i) => node(`w${i}`));
    const fields = compactSnapshot(snapshotAt(1_000_000, nodes));
    expect((fields.nodes as unknown[]).length).toBe(MAX_LOGGED_NODES);
    expect(fields.nodesNotListed).toBe(1000 - MAX_LOGGED_NODES);
    expect(fields.nodesByState).toEqual({ HEALTHY: 1000 });
    expect(fields.slots).toBe('1000/4000');
  });

  it('reads as a few lines for a person', () => {
    const text = describeCluster(snapshotAt(1_002_500, [node('w1', { unavailableReason: 'suspect: stream broke' })]));
    expect(text).toContain('Jobs:      pending 3, running 2, completed 10, failed 1, cancelled 0');
    expect(text).toContain('Queue:     3 pending (priority 5: 1, priority 0: 2)');
    expect(text).toContain('Slots:     1/4 used (25%)');
    expect(text).toMatch(
      /w1 {2}HEALTHY {2}tasks 1\/4 {2}cpu 0\.5\/2 {2}mem 1Gi\/8Gi {2}heartbeat 2\.5s ago {2}\(suspect: stream broke\)/,
    );
  });
});

describe('dist-exec cluster and GET /api/v1/cluster', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await startTestCluster({ workers: 2 });
  });
  afterAll(() => cluster?.stop());

  it('print the same snapshot, with running and queued work', async () => {
    const running = await cluster.client.submitMany(
      Array.from({ length: 8 }, () => ({ command: 'sleep 30', cpu: 0.25 })),
    );
    const queued = await cluster.client.submitMany([{ command: 'true', priority: 9 }, { command: 'true' }]);
    await cluster.client.submit({ command: 'exit 1' }).catch(() => {});
    await until(async () => (await cluster.client.getCluster()).jobs.RUNNING === 8, { message: 'eight running jobs' });

    const cli = await runCli(['--master', cluster.address, '--token', cluster.adminToken, 'cluster', '--json']);
    expect(cli.code).toBe(0);
    const fromCli = JSON.parse(cli.stdout.toString()) as ClusterJson;
    const fromHttp = (
      await httpRequest(`http://127.0.0.1:${cluster.master.httpPort}/api/v1/cluster`, { token: cluster.adminToken })
    ).json as ClusterJson;
    const stable = (c: ClusterJson) => ({
      ...c,
      at: '',
      nodes: c.nodes.map(({ heartbeatAgeMs: _a, lastHeartbeat: _b, ...n }) => n),
    });
    expect(stable(fromHttp)).toEqual(stable(fromCli));
    expect(fromCli.masterId).toBe(cluster.master.id);
    expect(fromCli.jobs.RUNNING).toBe(8);
    expect(fromCli.jobs.PENDING).toBeGreaterThanOrEqual(2);
    expect(fromCli.queue.byPriority[0]).toEqual({ priority: 9, count: 1 });
    expect(fromCli.utilization.slots).toEqual({ used: 8, total: 8 });
    expect(fromCli.utilization.cpus.used).toBe(2);
    expect(fromCli.nodes.map((n) => n.id).sort()).toEqual(['worker-1', 'worker-2']);
    for (const n of fromCli.nodes) expect(n.heartbeatAgeMs).toBeGreaterThanOrEqual(0);

    const human = await runCli(['--master', cluster.address, 'cluster'], { DIST_EXEC_TOKEN: cluster.adminToken });
    expect(human.stdout.toString()).toMatch(/^Jobs: +pending \d+, running 8,/);
    expect(human.stdout.toString()).toMatch(/Slots: +8\/8 used \(100%\)/);
    expect(human.stdout.toString()).toMatch(/worker-1 {2}HEALTHY {2}tasks 4\/4/);

    for (const job of [...running, ...queued]) await cluster.client.cancel(job.id).catch(() => {});
  });
});

describe('the master process', () => {
  it('logs a cluster snapshot every --snapshot-interval', async () => {
    const master = await startMasterProcess(['--snapshot-interval', '300ms']);
    const worker = await startWorkerProcess(master, ['--id', 'snap-worker']);
    try {
      const entry = await until(
        () =>
          master.logs.find(
            (l) =>
              l.msg === 'cluster snapshot' &&
              (l.nodes as { id: string }[] | undefined)?.some((n) => n.id === 'snap-worker'),
          ),
        { message: 'a snapshot that lists the worker' },
      );
      expect(entry).toMatchObject({
        component: 'snapshot',
        jobs: { PENDING: 0, RUNNING: 0 },
        queueDepth: 0,
        nodesByState: { HEALTHY: 1 },
      });
    } finally {
      worker.kill();
      await worker.exited;
      master.kill();
      await master.exited;
    }
  });
});
