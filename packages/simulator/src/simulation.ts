import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DistExecClient } from '@dist-exec/client';
import { BUILTIN_TASK_TYPE_NAMES, systemClock, type Clock, type JobSpecInput, type Timer } from '@dist-exec/core';
import { DEFAULT_MAX_QUEUE, Master } from '@dist-exec/master';
import { pino, type Logger } from 'pino';
import { InProcessView, RemoteView, type ClusterCounts, type ClusterView } from './cluster-view.js';
import { compileSimulationOptions, type CompiledSimulationOptions, type SimulationOptions } from './config.js';
import { FailureInjector } from './failure-injector.js';
import { Fleet } from './fleet.js';
import { JobLedger, LedgerStore } from './job-ledger.js';
import type { Check, Snapshot, Summary } from './report.js';
import { SIMULATED_TASK_TYPE } from './simulated-executor.js';

export interface SimulationDeps {
  /** For the master and the nodes. @default silent */
  logger?: Logger;
  clock?: Clock;
  /** Job durations and start times. @default Math.random */
  random?: () => number;
  /** The crash dice, separate so a test can make them repeatable. @default Math.random */
  failureRandom?: () => number;
  /** Called with each snapshot. */
  onSnapshot?(snapshot: Snapshot): void;
  /** Called once the master answers, before the nodes start. */
  onMaster?(master: { address: string; httpPort: number | null; adminTokenFile: string | null }): void;
}

/** How often convergence and registration are checked; the ledger is read in memory. */
const POLL_MS = 20;

function sumTerminal(c: ClusterCounts): number {
  return c.jobs.completed + c.jobs.failed + c.jobs.cancelled;
}

/**
 * One run: a master (in this process unless given an address), a fleet of
 * simulated nodes speaking the real protocol to it, jobs submitted through
 * the real API, random node crashes, snapshots while the cluster converges,
 * and a summary with the check that every job ended exactly once.
 */
export class Simulation {
  readonly options: CompiledSimulationOptions;
  readonly #deps: SimulationDeps;
  readonly #clock: Clock;
  readonly #log: Logger;

  constructor(options: SimulationOptions = {}, deps: SimulationDeps = {}) {
    this.options = compileSimulationOptions(options);
    this.#deps = deps;
    this.#clock = deps.clock ?? systemClock;
    this.#log = deps.logger ?? pino({ level: 'silent' });
  }

  async run(signal?: AbortSignal): Promise<Summary> {
    const o = this.options;
    const clock = this.#clock;
    const random = this.#deps.random ?? Math.random;
    const ledger = o.masterAddress ? null : new JobLedger();
    let master: Master | null = null;
    let client: DistExecClient | null = null;
    let fleet: Fleet | null = null;
    let failures: FailureInjector | null = null;
    let snapshots: Timer | null = null;
    // The clock's timers do not hold the process open, and until the nodes
    // listen nothing else may: the run itself keeps the process alive.
    const alive = setInterval(() => {}, 60_000);
    // The in-process master's admin token lives here for the run (for `dist-exec --master … cluster` meanwhile).
    const dataDir = ledger ? mkdtempSync(join(tmpdir(), 'dist-exec-simulate-')) : null;
    try {
      let address = o.masterAddress;
      let token = o.token;
      let nodeToken = o.token;
      if (ledger && dataDir) {
        master = new Master(
          {
            host: '127.0.0.1',
            port: 0,
            httpPort: 0,
            heartbeatIntervalMs: o.heartbeatIntervalMs,
            taskTypes: [...BUILTIN_TASK_TYPE_NAMES, SIMULATED_TASK_TYPE],
            maxQueue: Math.max(DEFAULT_MAX_QUEUE, o.jobs),
            dataDir,
          },
          { logger: this.#log, clock, store: new LedgerStore(ledger) },
        );
        address = `127.0.0.1:${(await master.start()).port}`;
        token = master.adminToken;
        // The nodes register as workers do: with a worker token.
        nodeToken = (await master.tokens.create({ name: 'simulated-nodes', role: 'worker', ttlMs: 0 }, 'simulator'))
          .secret;
      }
      // A bulk submit of thousands of jobs may take a while on a loaded machine.
      client = new DistExecClient({ address, token, callTimeoutMs: 120_000 });
      await client.waitForReady(10_000).catch(() => {
        throw new Error(`cannot reach the master at ${address}; is it running?`);
      });
      const view: ClusterView = master && ledger ? new InProcessView(master, ledger) : new RemoteView(client);
      this.#deps.onMaster?.({
        address,
        httpPort: master ? master.httpPort || null : null,
        adminTokenFile: master ? master.options.adminTokenFile : null,
      });

      const began = clock.now();
      fleet = new Fleet({
        count: o.nodes,
        masterAddress: address,
        token: nodeToken,
        heartbeatIntervalMs: o.heartbeatIntervalMs,
        maxTasks: o.maxTasks,
        meanDurationMs: o.jobDurationMs,
        clock,
        random,
        logger: this.#log,
      });
      failures = new FailureInjector({
        nodes: fleet.nodes,
        failRate: o.failRate,
        downTimeMs: o.downTimeMs,
        clock,
        random: this.#deps.failureRandom ?? Math.random,
        logger: this.#log,
      });
      snapshots = this.#startSnapshots(view, fleet, failures, began);
      const deadline = o.durationMs > 0 ? began + o.durationMs : Infinity;
      const stopped = (): boolean => signal?.aborted === true || clock.now() >= deadline;

      await fleet.start(o.heartbeatIntervalMs);
      await this.#waitUntil(async () => registered(await view.counts()) >= o.nodes, stopped);
      const startupMs = clock.now() - began;

      const submitStart = clock.now();
      let submitted = 0;
      const spec: JobSpecInput = { type: SIMULATED_TASK_TYPE, maxRetries: o.retries };
      while (submitted < o.jobs && !stopped()) {
        const batch = Math.min(o.submitBatch, o.jobs - submitted);
        await client.submitMany(Array.from({ length: batch }, () => spec));
        submitted += batch;
        // Crashes start with the work, so the first ones already hit running jobs.
        failures.start();
      }
      failures.start();
      const submitMs = clock.now() - submitStart;

      let converged = false;
      if (o.jobs > 0) {
        converged = await this.#waitUntil(async () => {
          if (ledger) return ledger.terminalCount >= submitted;
          const counts = await view.counts();
          return counts.jobs.pending + counts.jobs.running === 0 && sumTerminal(counts) >= submitted;
        }, stopped);
      } else {
        await this.#waitUntil(() => false, stopped);
      }
      const convergeMs = converged ? clock.now() - submitStart : null;
      failures.stop();
      snapshots?.cancel();
      const final = await view.counts();
      if (o.snapshotIntervalMs > 0)
        this.#deps.onSnapshot?.(this.#snapshot(final, clock.now() - began, 0, fleet, failures));

      return {
        master: master ? 'in this process' : address,
        nodes: o.nodes,
        maxTasks: o.maxTasks,
        heartbeatIntervalMs: o.heartbeatIntervalMs,
        jobs: submitted,
        jobDurationMs: o.jobDurationMs,
        failRate: o.failRate,
        startupMs,
        submitMs,
        convergeMs,
        jobsPerSecond: convergeMs === null ? null : submitted / Math.max(convergeMs / 1000, 0.001),
        interrupted: signal?.aborted === true,
        final: final.jobs,
        ledger: ledger ? structuredClone(ledger.counts) : null,
        crashes: failures.crashes,
        restarts: failures.restarts,
        executions: { ...fleet.stats },
        check:
          ledger && master
            ? ledgerCheck(ledger, submitted, master.cluster.runningCount, converged)
            : remoteCheck(final, submitted, converged),
      };
    } finally {
      failures?.stop();
      snapshots?.cancel();
      try {
        await fleet?.stop();
        client?.close();
        await master?.stop();
      } finally {
        clearInterval(alive);
        if (dataDir) rmSync(dataDir, { recursive: true, force: true });
      }
    }
  }

  /** Resolves true when `done`, false when `stopped` first. */
  async #waitUntil(done: () => boolean | Promise<boolean>, stopped: () => boolean): Promise<boolean> {
    for (;;) {
      if (await done()) return true;
      if (stopped()) return false;
      await new Promise<void>((resolve) => this.#clock.setTimeout(resolve, POLL_MS));
    }
  }

  #startSnapshots(view: ClusterView, fleet: Fleet, failures: FailureInjector, began: number): Timer | null {
    const every = this.options.snapshotIntervalMs;
    const onSnapshot = this.#deps.onSnapshot;
    if (every <= 0 || !onSnapshot) return null;
    let lastAt = began;
    let lastDone = 0;
    let cancelled = false;
    let timer: Timer;
    const take = (): void => {
      timer = this.#clock.setTimeout(() => {
        view.counts().then(
          (counts) => {
            if (cancelled) return;
            const now = this.#clock.now();
            const done = sumTerminal(counts);
            onSnapshot(
              this.#snapshot(
                counts,
                now - began,
                ((done - lastDone) * 1000) / Math.max(1, now - lastAt),
                fleet,
                failures,
              ),
            );
            lastAt = now;
            lastDone = done;
            take();
          },
          (error: unknown) => {
            this.#log.warn({ err: error }, 'could not take a snapshot');
            if (!cancelled) take();
          },
        );
      }, every);
    };
    take();
    return {
      cancel: () => {
        cancelled = true;
        timer.cancel();
      },
    };
  }

  #snapshot(
    counts: ClusterCounts,
    elapsedMs: number,
    finishedPerSecond: number,
    fleet: Fleet,
    failures: FailureInjector,
  ): Snapshot {
    return { ...counts, elapsedMs, finishedPerSecond, crashes: failures.crashes, nodesDown: fleet.count('down') };
  }
}

/** Nodes the master has heard from (whatever it thinks of their health now). */
function registered(counts: ClusterCounts): number {
  const n = counts.nodes;
  return n.healthy + n.suspect + n.skipped + n.unhealthy + n.draining;
}

/**
 * Every job ended exactly once, and the attempts add up, by the master's own
 * records. `running` must be read in the same tick as the ledger. A run
 * stopped early is judged on what happened: nothing ended twice, and the
 * attempts add up.
 */
export function ledgerCheck(ledger: JobLedger, submitted: number, running: number, converged: boolean): Check {
  const c = ledger.counts;
  if (submitted === 0 && c.submitted === 0) return { ok: null, message: 'no jobs were submitted' };
  const problems: string[] = [];
  if (c.submitted !== submitted) problems.push(`${submitted} jobs submitted but ${c.submitted} stored`);
  if (c.violations > 0)
    problems.push(
      `${c.violations} jobs ended more than once or changed after they ended (${ledger.violationNotes.join('; ')})`,
    );
  if (converged && ledger.terminalCount !== c.submitted)
    problems.push(`${c.submitted - ledger.terminalCount} of ${c.submitted} jobs did not reach a terminal state`);
  if (c.attempts !== ledger.endedAttempts + running) {
    problems.push(
      `attempts do not add up: ${c.attempts} dispatched, ${ledger.endedAttempts} ended, ${running} running`,
    );
  }
  if (problems.length) return { ok: false, message: problems.join('; ') };
  if (!converged) {
    return {
      ok: true,
      message: `stopped early: ${ledger.terminalCount} of ${submitted} jobs terminal, none more than once; ${c.attempts} attempts add up`,
    };
  }
  return {
    ok: true,
    message: `every one of ${submitted} jobs reached a terminal state exactly once; ${c.attempts} attempts add up`,
  };
}

function remoteCheck(final: ClusterCounts, submitted: number, converged: boolean): Check {
  const done = sumTerminal(final);
  if (submitted === 0) return { ok: null, message: 'no jobs were submitted' };
  return {
    ok: null,
    message: `${converged ? 'all' : 'not all'} ${submitted} jobs terminal as the master's API counts them (${done} terminal jobs there); exactly-once needs the master in this process`,
  };
}
