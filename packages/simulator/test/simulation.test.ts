import { describe, expect, it } from 'vitest';
import {
  compileSimulationOptions,
  crashChancePerTick,
  Simulation,
  startOffsets,
  type Snapshot,
} from '@dist-exec/simulator';
import { runCli, seededRandom, startMasterProcess } from '@dist-exec/testing';

/** The first roll is a crash, so every run loses at least one node while it has work; the rest are seeded. */
function diceWithFirstCrash(seed: number): () => number {
  const next = seededRandom(seed);
  let first = true;
  return () => {
    if (!first) return next();
    first = false;
    return 0;
  };
}

function lastJson(stdout: Buffer): Record<string, unknown> {
  const lines = stdout.toString().trim().split('\n');
  return JSON.parse(lines[lines.length - 1] as string) as Record<string, unknown>;
}

describe('simulation', () => {
  it('crashes nodes while jobs run, and every job still ends exactly once with books that add up', async () => {
    const snapshots: Snapshot[] = [];
    const simulation = new Simulation(
      {
        nodes: 5,
        jobs: 400,
        jobDurationMs: 30,
        maxTasks: 4,
        heartbeatIntervalMs: 200,
        failRate: 0.3,
        downTimeMs: 300,
        retries: 5,
        snapshotIntervalMs: 100,
      },
      { failureRandom: diceWithFirstCrash(7), onSnapshot: (s) => snapshots.push(s) },
    );
    const summary = await simulation.run();

    expect(summary.check).toMatchObject({ ok: true });
    expect(summary.crashes).toBeGreaterThanOrEqual(1);
    expect(summary.convergeMs).not.toBeNull();
    const ledger = summary.ledger;
    if (!ledger) throw new Error('an in-process run keeps a ledger');
    // Every job ended once, as the master's final counts and its own records agree.
    expect(ledger.submitted).toBe(400);
    expect(ledger.terminal.COMPLETED + ledger.terminal.FAILED + ledger.terminal.CANCELLED).toBe(400);
    expect(summary.final.completed + summary.final.failed).toBe(400);
    expect(summary.final.completed).toBe(ledger.terminal.COMPLETED);
    expect(summary.final.pending + summary.final.running).toBe(0);
    expect(ledger.violations).toBe(0);
    // Each attempt ended exactly one way: its job ended, or it was retried or requeued.
    expect(ledger.attempts).toBe(
      ledger.finalAttempts + ledger.retriedAfterNodeFailure + ledger.retriedAfterFailure + ledger.requeuedUnstarted,
    );
    // Every run that died with its node was noticed by the master as a lost worker.
    expect(summary.executions.lostInCrash).toBeLessThanOrEqual(
      ledger.retriedAfterNodeFailure + (ledger.failedBy.WORKER_LOST ?? 0),
    );
    // Each completed job had a run that succeeded on some node.
    expect(summary.executions.succeeded).toBeGreaterThanOrEqual(summary.final.completed);
    // Snapshots were printed while it converged; the last one is the final state.
    expect(snapshots.length).toBeGreaterThanOrEqual(2);
    const last = snapshots[snapshots.length - 1] as Snapshot;
    expect(last.jobs.completed + last.jobs.failed).toBe(400);
    expect(last.crashes).toBe(summary.crashes);
  });

  it('stops early on request with a summary whose books still add up', async () => {
    const stop = new AbortController();
    const simulation = new Simulation(
      { nodes: 3, jobs: 20_000, jobDurationMs: 20, heartbeatIntervalMs: 200, snapshotIntervalMs: 50, submitBatch: 500 },
      {
        onSnapshot: (s) => {
          if (s.jobs.completed > 0) stop.abort();
        },
      },
    );
    const summary = await simulation.run(stop.signal);
    expect(summary.interrupted).toBe(true);
    expect(summary.convergeMs).toBeNull();
    expect(summary.final.completed).toBeGreaterThan(0);
    expect(summary.final.completed).toBeLessThan(summary.jobs);
    expect(summary.check.ok).toBe(true);
    expect(summary.check.message).toMatch(/^stopped early: \d+ of \d+ jobs terminal, none more than once/);
  });

  it('starts nodes spread over the whole interval, so their heartbeats do not come in lockstep', () => {
    const offsets = startOffsets(1000, 5000, seededRandom(3));
    expect(offsets).toHaveLength(1000);
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    expect(Math.min(...offsets)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...offsets)).toBeLessThan(5000);
    // Every tenth of the interval gets its share (100 expected), none a crowd.
    const perTenth = Array.from(
      { length: 10 },
      (_, i) => offsets.filter((o) => o >= i * 500 && o < (i + 1) * 500).length,
    );
    for (const count of perTenth) expect(count).toBeGreaterThan(60);
    for (const count of perTenth) expect(count).toBeLessThan(140);
  });

  it('spreads crash chances so that the per-second rate holds', () => {
    expect(crashChancePerTick(0, 100)).toBe(0);
    expect(crashChancePerTick(1, 100)).toBe(1);
    // Ten ticks of 100ms at the per-tick chance survive with the per-second chance of surviving.
    expect((1 - crashChancePerTick(0.01, 100)) ** 10).toBeCloseTo(0.99, 10);
  });

  it('refuses bad options with the flag named', () => {
    expect(() => compileSimulationOptions({ nodes: 0 })).toThrow(/--nodes: 0 is out of range/);
    expect(() => compileSimulationOptions({ failRate: 2 })).toThrow(/--fail-rate: 2 is not a probability; use 0 to 1/);
    expect(() => compileSimulationOptions({ masterAddress: 'nope' })).toThrow(/--master: "nope" is not host:port/);
  });
});

describe('dist-exec simulate', () => {
  it('rejects bad flags with one line naming the flag', async () => {
    for (const [flags, pattern] of [
      [['--nodes', '0'], /--nodes: "0" is not a whole number from 1 to 5000/],
      [['--fail-rate', '2'], /--fail-rate: 2 is not a probability/],
      [['--job-duration', 'soon'], /--job-duration: "soon" is not a duration/],
    ] as const) {
      const result = await runCli(['simulate', ...flags]);
      expect(result.code).toBe(2);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(pattern);
      expect(result.stdout.toString()).toBe('');
    }
  });

  it('runs a small simulation end to end and prints snapshots and a JSON summary', async () => {
    const result = await runCli([
      'simulate',
      '--nodes',
      '3',
      '--jobs',
      '60',
      '--job-duration',
      '5ms',
      '--heartbeat-interval',
      '100ms',
      '--snapshot-interval',
      '50ms',
      '--json',
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout
      .toString()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string });
    expect(lines.filter((line) => line.type === 'snapshot').length).toBeGreaterThanOrEqual(1);
    const summary = lastJson(result.stdout);
    expect(summary).toMatchObject({ type: 'summary', nodes: 3, jobs: 60, interrupted: false, check: { ok: true } });
    expect(summary.final).toMatchObject({ completed: 60, failed: 0, pending: 0, running: 0 });
  });

  it('attaches its nodes to a master running in another process', async () => {
    const master = await startMasterProcess(['--heartbeat-interval', '100ms']);
    try {
      const result = await runCli(
        [
          '--master',
          master.address,
          'simulate',
          '--nodes',
          '4',
          '--jobs',
          '40',
          '--job-duration',
          '5ms',
          '--heartbeat-interval',
          '100ms',
          '--snapshot-interval',
          '0',
          '--json',
        ],
        { DIST_EXEC_TOKEN_FILE: master.tokenFile },
      );
      expect(result.code, result.stderr).toBe(0);
      const summary = lastJson(result.stdout);
      expect(summary).toMatchObject({ master: master.address, nodes: 4, jobs: 40, ledger: null, check: { ok: null } });
      expect(summary.final).toMatchObject({ completed: 40, pending: 0, running: 0 });
    } finally {
      master.kill();
      await master.exited;
    }
  });
});
