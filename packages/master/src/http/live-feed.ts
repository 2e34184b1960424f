import { clusterToJson, jobToJson, type ClusterSnapshot, type Job } from '@dist-exec/core';
import type { Logger } from 'pino';
import type { MasterEvents } from '../events.js';
import { SseStream } from './sse.js';
import type { ServerResponse } from 'node:http';

export interface LiveFeedOptions {
  events: MasterEvents;
  snapshot(): Promise<ClusterSnapshot>;
  /** Adds what is derived when read (why a pending job waits). */
  view(job: Job): Job;
  logger: Logger;
  /** How often job changes are sent, coalesced per job. @default 250 */
  flushMs?: number;
  /** How often the cluster snapshot is sent. @default 2000 */
  clusterMs?: number;
  /** More changed jobs than this in one flush: clients are told to reload the list instead. @default 200 */
  maxBatch?: number;
}

/**
 * The dashboard's push channel (`GET /api/v1/events`, server-sent events):
 * `jobs` carries the jobs that changed since the last flush (as `status
 * --json`, without output), `resync` asks the client to reload its list
 * after a burst, and `cluster` carries the cluster snapshot every couple of
 * seconds. It listens to the master only while someone is connected, and
 * coalesces changes, so a burst of thousands of jobs costs a few messages.
 */
export class LiveFeed {
  readonly #options: Required<Omit<LiveFeedOptions, 'logger'>> & { logger: Logger };
  readonly #clients = new Set<SseStream>();
  readonly #changed = new Map<string, Job>();
  #overflow = false;
  #unsubscribe: (() => void) | null = null;
  #flushTimer: NodeJS.Timeout | null = null;
  #clusterTimer: NodeJS.Timeout | null = null;

  constructor(options: LiveFeedOptions) {
    this.#options = {
      flushMs: 250,
      clusterMs: 2000,
      maxBatch: 200,
      ...options,
      logger: options.logger.child({ component: 'live-feed' }),
    };
  }

  get clients(): number {
    return this.#clients.size;
  }

  connect(res: ServerResponse): void {
    const client = new SseStream(res, () => {
      this.#clients.delete(client);
      if (this.#clients.size === 0) this.#idle();
    });
    this.#clients.add(client);
    if (this.#clients.size === 1) this.#activate();
    void this.#sendCluster([client]);
  }

  #activate(): void {
    this.#unsubscribe = this.#options.events.subscribe({
      jobChanged: (job) => {
        if (this.#overflow) return;
        this.#changed.set(job.id, job);
        if (this.#changed.size > this.#options.maxBatch) {
          this.#overflow = true;
          this.#changed.clear();
        }
      },
    });
    this.#flushTimer = setInterval(() => this.#flush(), this.#options.flushMs);
    this.#clusterTimer = setInterval(() => void this.#sendCluster([...this.#clients]), this.#options.clusterMs);
    this.#flushTimer.unref();
    this.#clusterTimer.unref();
  }

  #idle(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    if (this.#flushTimer) clearInterval(this.#flushTimer);
    if (this.#clusterTimer) clearInterval(this.#clusterTimer);
    this.#flushTimer = this.#clusterTimer = null;
    this.#changed.clear();
    this.#overflow = false;
  }

  #flush(): void {
    if (this.#overflow) {
      this.#overflow = false;
      for (const client of this.#clients) client.send('resync', {});
      return;
    }
    if (this.#changed.size === 0) return;
    const jobs = [...this.#changed.values()].map((job) =>
      jobToJson({ ...this.#options.view(job), stdout: null, stderr: null }),
    );
    this.#changed.clear();
    for (const client of this.#clients) client.send('jobs', jobs);
  }

  async #sendCluster(clients: SseStream[]): Promise<void> {
    try {
      const snapshot = clusterToJson(await this.#options.snapshot());
      for (const client of clients) client.send('cluster', snapshot);
    } catch (error) {
      this.#options.logger.warn({ err: error }, 'could not take a cluster snapshot');
    }
  }

  stop(): void {
    for (const client of this.#clients) client.close();
    this.#clients.clear();
    this.#idle();
  }
}
