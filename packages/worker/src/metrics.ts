import { BUILTIN_TASK_TYPE_NAMES, FAILURE_REASONS } from '@dist-exec/core';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RunnerObserver } from './runner.js';

/** Seconds; from a fast local `true` to an hour-long batch job. */
const DURATION_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];

/** What the gauges read when Prometheus scrapes. */
export interface WorkerGaugeSource {
  readonly running: number;
  readonly maxTasks: number;
  readonly draining: boolean;
  readonly fenced: boolean;
}

/**
 * The worker's Prometheus metrics: executions by result (fed by the runner's
 * observer seam), running tasks and executor errors.
 */
export class WorkerMetrics {
  readonly registry = new Registry();
  /** Pass to the TaskRunner. */
  readonly observer: RunnerObserver;

  constructor(source: () => WorkerGaugeSource | null) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    // Gauges named *_total, which promtool rejects (a counter suffix).
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'])
      this.registry.removeSingleMetric(name);

    const executions = new Counter({
      name: 'dist_exec_worker_executions_total',
      help: 'Attempts this worker ran to the end, by executor type and result ("succeeded" or the failure reason).',
      labelNames: ['type', 'result'],
      registers,
    });
    const duration = new Histogram({
      name: 'dist_exec_worker_execution_duration_seconds',
      help: 'Run time of attempts on this worker, by executor type.',
      labelNames: ['type'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    const executorErrors = new Counter({
      name: 'dist_exec_worker_executor_errors_total',
      help: 'Attempts whose executor failed to run them at all (EXECUTOR_ERROR), by executor type.',
      labelNames: ['type'],
      registers,
    });
    const read = <T>(pick: (s: WorkerGaugeSource) => T, otherwise: T): T => {
      const s = source();
      return s ? pick(s) : otherwise;
    };
    new Gauge({
      name: 'dist_exec_worker_running_tasks',
      help: 'Attempts running on this worker now.',
      registers,
      collect() {
        this.set(read((s) => s.running, 0));
      },
    });
    new Gauge({
      name: 'dist_exec_worker_max_tasks',
      help: 'Attempts this worker runs at once at most.',
      registers,
      collect() {
        this.set(read((s) => s.maxTasks, 0));
      },
    });
    new Gauge({
      name: 'dist_exec_worker_draining',
      help: '1 while the worker takes no new work (shutting down or drained).',
      registers,
      collect() {
        this.set(read((s) => (s.draining ? 1 : 0), 0));
      },
    });
    new Gauge({
      name: 'dist_exec_worker_fenced',
      help: '1 while the worker fenced itself off (no heartbeat reached the master for --fence-after).',
      registers,
      collect() {
        this.set(read((s) => (s.fenced ? 1 : 0), 0));
      },
    });

    // Every result of the built-in types at zero from the first scrape, so increase() counts the first ones.
    for (const type of BUILTIN_TASK_TYPE_NAMES) {
      for (const result of ['succeeded', ...FAILURE_REASONS]) executions.inc({ type, result }, 0);
      executorErrors.inc({ type }, 0);
    }
    this.observer = {
      attemptFinished: (type, result) => {
        executions.inc({ type, result: result.succeeded ? 'succeeded' : (result.reason ?? 'EXECUTOR_ERROR') });
        duration.observe({ type }, Math.max(0, result.finishedAtMs - result.startedAtMs) / 1000);
      },
      executorError: (type) => executorErrors.inc({ type }),
    };
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
