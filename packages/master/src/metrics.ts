import { FAILURE_REASONS, JOB_STATES, NODE_STATES, type ErrorCode, type Job } from '@dist-exec/core';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ClusterState } from './cluster-state.js';
import type { MasterEvents } from './events.js';

/** Seconds; from a fast local `true` to an hour-long batch job. */
const RUNTIME_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];
/** Seconds a job waits for a node: near zero on an idle cluster, minutes on a busy one. */
const QUEUE_WAIT_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 120, 600];
/** Seconds from placement to the worker's "started": one round trip plus a spawn. */
const DISPATCH_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Why a submit can be refused (the rest of the error table never comes out of a submit). */
const REJECT_CODES: readonly ErrorCode[] = ['INVALID_ARGUMENT', 'RESOURCE_EXHAUSTED', 'UNAVAILABLE', 'INTERNAL'];

/** Every (state, reason) a finished job can have: COMPLETED without one, CANCELLED for CANCELLED, FAILED for the rest. */
export function finishedLabelSets(): { state: string; reason: string }[] {
  return [
    { state: 'COMPLETED', reason: 'none' },
    { state: 'CANCELLED', reason: 'CANCELLED' },
    ...FAILURE_REASONS.filter((reason) => reason !== 'CANCELLED').map((reason) => ({ state: 'FAILED', reason })),
  ];
}

export interface MasterMetricsOptions {
  cluster: ClusterState;
  events: MasterEvents;
  /** Also export the Node.js process metrics (cpu, memory, event loop lag). @default true */
  processMetrics?: boolean;
  /** Several masters: the lease epoch this master leads under, and how many times this process took the lease. */
  leadership?: { epoch: number; terms: number };
}

/**
 * The master's Prometheus metrics. Counters and histograms are fed by
 * MasterEvents; gauges (queue depth, nodes, capacity) are read from
 * ClusterState when Prometheus scrapes, so they cost nothing in between.
 */
export class MasterMetrics {
  readonly registry = new Registry();
  readonly #unsubscribe: () => void;

  constructor(options: MasterMetricsOptions) {
    const { cluster } = options;
    const registers = [this.registry];
    if (options.processMetrics ?? true) addProcessMetrics(this.registry);

    if (options.leadership) {
      const { epoch, terms } = options.leadership;
      new Gauge({
        name: 'dist_exec_master_lease_epoch',
        help: 'The lease epoch this master leads under: how many times a master took the lease on this database.',
        registers,
      }).set(epoch);
      new Counter({
        name: 'dist_exec_master_leadership_changes_total',
        help: 'Times this master process took the lease and began to lead.',
        registers,
      }).inc(terms);
    }

    const submitted = new Counter({
      name: 'dist_exec_jobs_submitted_total',
      help: 'Jobs accepted by the master.',
      registers,
    });
    const rejected = new Counter({
      name: 'dist_exec_jobs_rejected_total',
      help: 'Jobs whose submission was refused, by error code (INVALID_ARGUMENT, RESOURCE_EXHAUSTED, UNAVAILABLE).',
      labelNames: ['code'],
      registers,
    });
    const finished = new Counter({
      name: 'dist_exec_jobs_finished_total',
      help: 'Jobs that reached a final state, by state and failure reason ("none" when it completed).',
      labelNames: ['state', 'reason'],
      registers,
    });
    const attempts = new Counter({
      name: 'dist_exec_attempts_total',
      help: 'Attempts that ended, by result ("succeeded" or the failure reason); a retried job has several.',
      labelNames: ['result'],
      registers,
    });
    const runtime = new Histogram({
      name: 'dist_exec_job_runtime_seconds',
      help: 'Run time of finished jobs from start on the worker to the end, by final state.',
      labelNames: ['state'],
      buckets: RUNTIME_BUCKETS,
      registers,
    });
    const queueWait = new Histogram({
      name: 'dist_exec_job_queue_wait_seconds',
      help: 'Time from submit (or from the end of the previous attempt, for a retry) until the job is placed on a node.',
      buckets: QUEUE_WAIT_BUCKETS,
      registers,
    });
    const dispatch = new Histogram({
      name: 'dist_exec_dispatch_latency_seconds',
      help: 'Time from placing an attempt on a node until the worker reports it started.',
      buckets: DISPATCH_BUCKETS,
      registers,
    });
    const heartbeats = new Counter({
      name: 'dist_exec_heartbeats_received_total',
      help: 'Worker heartbeats received.',
      registers,
    });

    // The names of seed 003's coordinator, whose REST routes the master serves too, for its dashboards and alerts.
    const seedJobs = new Counter({
      name: 'jobs_total',
      help: 'Jobs submitted (seed 003 name; the same as dist_exec_jobs_submitted_total).',
      registers,
    });
    const seedCompleted = new Counter({
      name: 'jobs_completed_total',
      help: 'Jobs that completed (seed 003 name; dist_exec_jobs_finished_total{state="COMPLETED"}).',
      registers,
    });
    const seedFailed = new Counter({
      name: 'jobs_failed_total',
      help: 'Jobs that failed, for any reason; cancelled jobs are not counted (seed 003 name; dist_exec_jobs_finished_total{state="FAILED"}).',
      registers,
    });
    const seedRuntime = new Histogram({
      name: 'job_runtime_seconds',
      help: 'Run time of jobs that ran and finished, in any final state (seed 003 name; dist_exec_job_runtime_seconds without the state label).',
      buckets: RUNTIME_BUCKETS,
      registers,
    });

    new Gauge({
      name: 'dist_exec_jobs',
      help: 'Jobs the master holds that are not finished, by state.',
      labelNames: ['state'],
      registers,
      collect() {
        this.set({ state: 'PENDING' }, cluster.pendingCount);
        this.set({ state: 'RUNNING' }, cluster.runningCount);
      },
    });
    new Gauge({
      name: 'dist_exec_queue_depth',
      help: 'PENDING jobs by priority (including retries waiting out their backoff).',
      labelNames: ['priority'],
      registers,
      collect() {
        this.reset();
        for (const [priority, count] of pendingByPriority(cluster.activeJobs()))
          this.set({ priority: String(priority) }, count);
      },
    });
    new Gauge({
      name: 'dist_exec_nodes',
      help: 'Worker nodes by state (HEALTHY, UNHEALTHY, DRAINING, LOST).',
      labelNames: ['state'],
      registers,
      collect() {
        const counts = new Map<string, number>(NODE_STATES.map((s) => [s, 0]));
        for (const node of cluster.registry.all())
          if (!node.recovering) counts.set(node.state, (counts.get(node.state) ?? 0) + 1);
        for (const [state, count] of counts) this.set({ state }, count);
      },
    });
    const capacity = (name: string, help: string, read: (used: boolean) => number): void => {
      new Gauge({
        name,
        help,
        labelNames: ['kind'],
        registers,
        collect() {
          this.set({ kind: 'used' }, read(true));
          this.set({ kind: 'total' }, read(false));
        },
      });
    };
    const sum = (
      pick: (node: {
        activeTasks: number;
        maxTasks: number;
        usedCpus: number;
        cpus: number;
        usedMemoryBytes: number;
        memoryBytes: number;
      }) => number,
    ): number => {
      let total = 0;
      for (const node of cluster.registry.all()) if (!node.recovering && node.health !== 'LOST') total += pick(node);
      return total;
    };
    capacity('dist_exec_task_slots', 'Task slots of live nodes: used (running attempts) and total.', (used) =>
      sum((n) => (used ? n.activeTasks : n.maxTasks)),
    );
    capacity('dist_exec_cpus', 'CPUs of live nodes: reserved by jobs and offered.', (used) =>
      sum((n) => (used ? n.usedCpus : n.cpus)),
    );
    capacity('dist_exec_memory_bytes', 'Memory of live nodes: reserved by jobs and offered.', (used) =>
      sum((n) => (used ? n.usedMemoryBytes : n.memoryBytes)),
    );

    // A series for every label value of the fixed enums, at zero from the first scrape: increase() and
    // rate() need a sample before the first event, or they under-count it.
    for (const state of JOB_STATES) if (state !== 'PENDING' && state !== 'RUNNING') runtime.zero({ state });
    for (const labels of finishedLabelSets()) finished.inc(labels, 0);
    for (const code of REJECT_CODES) rejected.inc({ code }, 0);
    for (const result of ['succeeded', ...FAILURE_REASONS]) attempts.inc({ result }, 0);
    for (const counter of [submitted, heartbeats, seedJobs, seedCompleted, seedFailed]) counter.inc(0);

    this.#unsubscribe = options.events.subscribe({
      jobsSubmitted: (jobs) => {
        submitted.inc(jobs.length);
        seedJobs.inc(jobs.length);
      },
      submitRejected: (code, count) => rejected.inc({ code }, count),
      attemptPlaced: (_job, _attempt, waitedMs) => queueWait.observe(Math.max(0, waitedMs) / 1000),
      attemptStarted: (_job, _attempt, latencyMs) => dispatch.observe(Math.max(0, latencyMs) / 1000),
      attemptEnded: (_job, attempt) =>
        attempts.inc({ result: attempt.succeeded ? 'succeeded' : (attempt.reason ?? 'EXECUTOR_ERROR') }),
      jobFinished: (job) => {
        finished.inc({ state: job.state, reason: job.reason ?? 'none' });
        if (job.state === 'COMPLETED') seedCompleted.inc();
        else if (job.state === 'FAILED') seedFailed.inc();
        if (job.startedAtMs !== null && job.finishedAtMs !== null) {
          const seconds = Math.max(0, job.finishedAtMs - job.startedAtMs) / 1000;
          runtime.observe({ state: job.state }, seconds);
          seedRuntime.observe(seconds);
        }
      },
      heartbeatReceived: () => heartbeats.inc(),
    });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The exposition in Prometheus text format. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  stop(): void {
    this.#unsubscribe();
  }
}

/**
 * prom-client's Node.js process metrics, without the three gauges it names
 * `*_total` (a counter suffix), which `promtool check metrics` rejects.
 */
export function addProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry });
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'])
    registry.removeSingleMetric(name);
}

export function pendingByPriority(jobs: Iterable<Job>): Map<number, number> {
  const counts = new Map<number, number>();
  for (const job of jobs)
    if (job.state === 'PENDING') counts.set(job.spec.priority, (counts.get(job.spec.priority) ?? 0) + 1);
  return counts;
}
