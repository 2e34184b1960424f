import type { Clock, Timer } from '@dist-exec/core';
import type { ClusterState } from './cluster-state.js';
import type { MasterEvents } from './events.js';

/**
 * The last 15 minutes of the cluster, a second at a time, for the
 * dashboard's charts: attempts started and jobs completed or failed in each
 * second (counted from MasterEvents as they happen), and the queue depth and
 * task slots in use (sampled once a second). A fixed ring of buckets, so the
 * memory it holds never grows; a second nobody touched reads as zero events
 * and no sample. Time comes from the injected clock.
 */
export interface ActivitySeriesOptions {
  clock: Clock;
  events: MasterEvents;
  /** Read once a bucket: the gauges. Must be cheap (the master's counters, not the store). */
  sample(): ActivitySample;
  /** How far back the series goes, in ms. @default DEFAULT_ACTIVITY_WINDOW_MS */
  windowMs?: number;
  /** Width of one bucket, in ms. @default DEFAULT_ACTIVITY_BUCKET_MS */
  bucketMs?: number;
}

export interface ActivitySample {
  /** PENDING jobs. */
  queued: number;
  /** Task slots of live nodes in use (running attempts), and in all. */
  slotsUsed: number;
  slotsTotal: number;
}

/** The series as `GET /api/v1/activity` sends it: one entry per bucket, oldest first, ending with the current one. */
export interface ActivityJson {
  bucketMs: number;
  /** Start of the first bucket, ms since the epoch. */
  fromMs: number;
  started: number[];
  completed: number[];
  failed: number[];
  /** null where no sample was taken (the master was not running yet). */
  queued: (number | null)[];
  slotsUsed: (number | null)[];
  slotsTotal: (number | null)[];
}

export const DEFAULT_ACTIVITY_WINDOW_MS = 15 * 60_000;
export const DEFAULT_ACTIVITY_BUCKET_MS = 1_000;

interface Bucket {
  /** Which bucket of all time this slot holds now (ms / bucketMs); -1 = never used. */
  index: number;
  started: number;
  completed: number;
  failed: number;
  sample: ActivitySample | null;
}

export class ActivitySeries {
  readonly #clock: Clock;
  readonly #events: MasterEvents;
  readonly #sample: () => ActivitySample;
  readonly #bucketMs: number;
  readonly #ring: Bucket[];
  #timer: Timer | null = null;
  #unsubscribe: (() => void) | null = null;

  constructor(options: ActivitySeriesOptions) {
    const windowMs = options.windowMs ?? DEFAULT_ACTIVITY_WINDOW_MS;
    const bucketMs = options.bucketMs ?? DEFAULT_ACTIVITY_BUCKET_MS;
    if (!(bucketMs > 0) || !(windowMs >= bucketMs))
      throw new RangeError(`activity series: windowMs (${windowMs}) must be at least bucketMs (${bucketMs}) > 0`);
    this.#clock = options.clock;
    this.#events = options.events;
    this.#sample = options.sample;
    this.#bucketMs = bucketMs;
    this.#ring = Array.from({ length: Math.ceil(windowMs / bucketMs) }, () => ({
      index: -1,
      started: 0,
      completed: 0,
      failed: 0,
      sample: null,
    }));
  }

  /** Counts events and samples the gauges once a bucket until `stop()`. */
  start(): void {
    if (this.#unsubscribe) return;
    this.#unsubscribe = this.#events.subscribe({
      attemptStarted: () => (this.#current().started += 1),
      jobFinished: (job) => {
        if (job.state === 'COMPLETED') this.#current().completed += 1;
        else if (job.state === 'FAILED') this.#current().failed += 1;
      },
    });
    this.#tick();
  }

  stop(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    this.#timer?.cancel();
    this.#timer = null;
  }

  /** The whole window up to now. */
  toJson(): ActivityJson {
    const now = this.#clock.now();
    const last = Math.floor(now / this.#bucketMs);
    const first = last - this.#ring.length + 1;
    const json: ActivityJson = {
      bucketMs: this.#bucketMs,
      fromMs: first * this.#bucketMs,
      started: [],
      completed: [],
      failed: [],
      queued: [],
      slotsUsed: [],
      slotsTotal: [],
    };
    for (let index = first; index <= last; index += 1) {
      const slot = this.#ring[index % this.#ring.length] as Bucket;
      const bucket = slot.index === index ? slot : null;
      json.started.push(bucket?.started ?? 0);
      json.completed.push(bucket?.completed ?? 0);
      json.failed.push(bucket?.failed ?? 0);
      json.queued.push(bucket?.sample?.queued ?? null);
      json.slotsUsed.push(bucket?.sample?.slotsUsed ?? null);
      json.slotsTotal.push(bucket?.sample?.slotsTotal ?? null);
    }
    return json;
  }

  /** The bucket of now, cleared first if it last held an older one. */
  #current(): Bucket {
    const index = Math.floor(this.#clock.now() / this.#bucketMs);
    const slot = this.#ring[index % this.#ring.length] as Bucket;
    if (slot.index !== index) {
      slot.index = index;
      slot.started = 0;
      slot.completed = 0;
      slot.failed = 0;
      slot.sample = null;
    }
    return slot;
  }

  #tick(): void {
    this.#current().sample = this.#sample();
    // At the start of the next bucket, whatever the last one's delay was.
    const now = this.#clock.now();
    this.#timer = this.#clock.setTimeout(() => this.#tick(), this.#bucketMs - (now % this.#bucketMs));
  }
}

/** The gauges from the master's own counters: PENDING jobs, and the task slots of live nodes (as the metrics count them). */
export function activitySample(cluster: Pick<ClusterState, 'pendingCount' | 'registry'>): ActivitySample {
  let slotsUsed = 0;
  let slotsTotal = 0;
  for (const node of cluster.registry.all()) {
    if (node.recovering || node.health === 'LOST') continue;
    slotsUsed += node.activeTasks;
    slotsTotal += node.maxTasks;
  }
  return { queued: cluster.pendingCount, slotsUsed, slotsTotal };
}
