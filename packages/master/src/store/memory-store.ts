import { isTerminal, MIN_ID_FRAGMENT, type Job, type JobState, type OutputChunk } from '@dist-exec/core';
import {
  chunksFrom,
  type HistoryPrune,
  type JobPage,
  type JobPageQuery,
  type RecoveredState,
  type Store,
  type StoredAuth,
  type StoredNodeClaim,
  type StoredToken,
} from './store.js';

/**
 * Keeps everything in process memory (`--store memory`): fast, and gone when
 * the master stops. Holds the master's own job objects, so it is always current.
 */
export class MemoryStore implements Store {
  readonly kind = 'memory';
  readonly location = '';
  /** Memory always takes the write. */
  readonly problem = null;
  /** In submit order; deleted jobs leave a hole that compaction removes. */
  #order: (Job | undefined)[] = [];
  #byId = new Map<string, Job>();
  #byKey = new Map<string, Job>();
  #output = new Map<string, OutputChunk[]>();
  #holes = 0;
  /** Every id, sorted: a prefix is a range (UUIDv7 ids mostly arrive in order, so inserts are appends). */
  #sortedIds: string[] = [];
  /** Ids by their last MIN_ID_FRAGMENT characters: a suffix looks at one small bucket. */
  #byTail = new Map<string, Set<string>>();
  #tokens = new Map<string, StoredToken>();
  #claims = new Map<string, StoredNodeClaim>();

  watchProblem(): () => void {
    return () => {};
  }

  async open(): Promise<RecoveredState> {
    return { activeJobs: [], nextSeq: 1 };
  }

  putJob(job: Job): void {
    if (this.#byId.has(job.id)) {
      this.#byId.set(job.id, job);
      return;
    }
    this.#byId.set(job.id, job);
    this.#order.push(job);
    this.#indexId(job.id);
    if (job.spec.idempotencyKey) this.#byKey.set(job.spec.idempotencyKey, job);
  }

  appendOutput(jobId: string, chunk: OutputChunk): void {
    let chunks = this.#output.get(jobId);
    if (!chunks) {
      chunks = [];
      this.#output.set(jobId, chunks);
    }
    chunks.push(chunk);
  }

  async flush(): Promise<void> {}

  async whenDurable(): Promise<void> {}

  async getJob(id: string): Promise<Job | undefined> {
    return this.#byId.get(id);
  }

  async findJobByIdempotencyKey(key: string): Promise<Job | undefined> {
    return this.#byKey.get(key);
  }

  async findJobsByIdempotencyKeys(keys: readonly string[]): Promise<Map<string, Job>> {
    const found = new Map<string, Job>();
    for (const key of keys) {
      const job = this.#byKey.get(key);
      if (job) found.set(key, job);
    }
    return found;
  }

  async listJobs(query: JobPageQuery): Promise<JobPage> {
    const wanted = query.states.length ? new Set<JobState>(query.states) : null;
    // Tokens are submit sequence numbers: stable while jobs are added or deleted.
    const before = query.pageToken ? Number(query.pageToken) : Infinity;
    const jobs: Job[] = [];
    let totalCount = 0;
    let nextPageToken = '';
    for (let i = this.#order.length - 1; i >= 0; i -= 1) {
      const job = this.#order[i];
      if (!job || (wanted && !wanted.has(job.state))) continue;
      totalCount += 1;
      if (job.seq >= before) continue;
      if (jobs.length < query.pageSize) jobs.push(job);
      else if (!nextPageToken) nextPageToken = String(jobs[jobs.length - 1]?.seq);
    }
    return { jobs, nextPageToken, totalCount };
  }

  async findJobsByIdFragment(fragment: string, limit: number): Promise<Job[]> {
    const found = new Map<string, Job>();
    for (let i = lowerBound(this.#sortedIds, fragment); i < this.#sortedIds.length; i += 1) {
      const id = this.#sortedIds[i] as string;
      if (!id.startsWith(fragment)) break;
      found.set(id, this.#byId.get(id) as Job);
    }
    for (const id of this.#byTail.get(fragment.slice(-MIN_ID_FRAGMENT)) ?? [])
      if (id.endsWith(fragment)) found.set(id, this.#byId.get(id) as Job);
    return [...found.values()].sort((a, b) => b.seq - a.seq).slice(0, limit);
  }

  #indexId(id: string): void {
    const ids = this.#sortedIds;
    if (ids.length === 0 || (ids[ids.length - 1] as string) < id) ids.push(id);
    else ids.splice(lowerBound(ids, id), 0, id);
    const tail = id.slice(-MIN_ID_FRAGMENT);
    let bucket = this.#byTail.get(tail);
    if (!bucket) this.#byTail.set(tail, (bucket = new Set()));
    bucket.add(id);
  }

  async countJobs(states: readonly JobState[]): Promise<number> {
    if (states.length === 0) return this.#byId.size;
    const wanted = new Set(states);
    let count = 0;
    for (const job of this.#byId.values()) if (wanted.has(job.state)) count += 1;
    return count;
  }

  async readOutput(jobId: string, fromOffset: number): Promise<OutputChunk[]> {
    return chunksFrom(this.#output.get(jobId) ?? [], fromOffset);
  }

  async deleteFinishedJobs({ finishedBeforeMs, keepMax, limit }: HistoryPrune): Promise<number> {
    const finished: Job[] = [];
    for (const job of this.#order) if (job && isTerminal(job.state)) finished.push(job);
    // The ones that finished first go first, as in the sqlite store.
    finished.sort((a, b) => (a.finishedAtMs ?? 0) - (b.finishedAtMs ?? 0));
    let excess = Math.max(0, finished.length - keepMax);
    const doomed = new Set<Job>();
    for (const job of finished) {
      if (doomed.size >= limit) break;
      if (excess > 0 || (job.finishedAtMs ?? 0) < finishedBeforeMs) {
        doomed.add(job);
        excess = Math.max(0, excess - 1);
      } else break;
    }
    let deleted = 0;
    for (let i = 0; i < this.#order.length; i += 1) {
      const job = this.#order[i];
      if (job && doomed.has(job)) {
        this.#order[i] = undefined;
        this.#byId.delete(job.id);
        this.#output.delete(job.id);
        if (job.spec.idempotencyKey && this.#byKey.get(job.spec.idempotencyKey) === job)
          this.#byKey.delete(job.spec.idempotencyKey);
        deleted += 1;
      }
    }
    if (deleted > 0) {
      this.#sortedIds = this.#sortedIds.filter((id) => this.#byId.has(id));
      for (const job of doomed) {
        const bucket = this.#byTail.get(job.id.slice(-MIN_ID_FRAGMENT));
        bucket?.delete(job.id);
        if (bucket?.size === 0) this.#byTail.delete(job.id.slice(-MIN_ID_FRAGMENT));
      }
    }
    this.#holes += deleted;
    if (this.#holes > this.#order.length / 2) {
      this.#order = this.#order.filter((j) => j !== undefined);
      this.#holes = 0;
    }
    return deleted;
  }

  async loadAuth(): Promise<StoredAuth> {
    return { tokens: [...this.#tokens.values()], nodeClaims: [...this.#claims.values()] };
  }

  putToken(token: StoredToken): void {
    this.#tokens.set(token.hash, { ...token });
  }

  putNodeClaim(claim: StoredNodeClaim): void {
    this.#claims.set(claim.nodeId, { ...claim });
  }

  deleteNodeClaim(nodeId: string): void {
    this.#claims.delete(nodeId);
  }

  async close(): Promise<void> {}
}

/** The first index of a sorted array whose value is not below `value`. */
function lowerBound(sorted: readonly string[], value: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as string) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
