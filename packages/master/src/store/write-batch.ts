import type { Job, OutputChunk } from '@dist-exec/core';
import type { StoredNodeClaim, StoredToken } from './store.js';

/**
 * How a flush's waiter fares while the store cannot write. A `submit` flush
 * carries new jobs and a `read` needs the store now: both fail at once, and
 * the submit's jobs are forgotten, so the caller can say "not stored" and
 * mean it. A `durable` flush (an attempt recorded before it is sent, a
 * result before it is acknowledged) waits until the store can write again.
 */
export type WaiterKind = 'submit' | 'durable' | 'read';

export interface Waiter {
  kind: WaiterKind;
  resolve(): void;
  reject(error: Error): void;
}

/** Writes committed together, and who waits for them: the unit of both stores' group commits. */
export class WriteBatch {
  readonly jobs = new Map<string, Job>();
  readonly byKey = new Map<string, Job>();
  output: { jobId: string; chunk: OutputChunk }[] = [];
  /** Bytes of output in `output`. */
  outputBytes = 0;
  /** Token rows by hash, and node claims by node id (null: delete it). */
  readonly tokens = new Map<string, StoredToken>();
  readonly claims = new Map<string, StoredNodeClaim | null>();
  waiters: Waiter[] = [];

  get empty(): boolean {
    return this.jobs.size === 0 && this.output.length === 0 && !this.hasAuth;
  }

  get hasAuth(): boolean {
    return this.tokens.size > 0 || this.claims.size > 0;
  }

  /** Takes in what was written after this batch: a newer version of a job replaces the older one. */
  absorb(newer: WriteBatch): void {
    for (const [id, job] of newer.jobs) this.jobs.set(id, job);
    for (const [key, job] of newer.byKey) this.byKey.set(key, job);
    for (const entry of newer.output) this.output.push(entry);
    this.outputBytes += newer.outputBytes;
    for (const [hash, token] of newer.tokens) this.tokens.set(hash, token);
    for (const [nodeId, claim] of newer.claims) this.claims.set(nodeId, claim);
    for (const waiter of newer.waiters) this.waiters.push(waiter);
  }

  /**
   * Drops the jobs submitted after `durableSeq` (never committed: their
   * submits failed, so they must not appear later), with their keys and
   * output, and adds their ids to `forgotten`.
   */
  forgetJobsAfter(durableSeq: number, forgotten: Set<string>): void {
    let forgot = false;
    for (const [id, job] of this.jobs) {
      if (job.seq <= durableSeq) continue;
      this.jobs.delete(id);
      const key = job.spec.idempotencyKey;
      if (key && this.byKey.get(key) === job) this.byKey.delete(key);
      forgotten.add(id);
      forgot = true;
    }
    if (!forgot) return;
    this.output = this.output.filter((entry) => !forgotten.has(entry.jobId));
    this.outputBytes = this.output.reduce((sum, entry) => sum + entry.chunk.data.length, 0);
  }
}
