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
  /** In submit order (ascending seq); deleted jobs stay until compaction removes them (they are not in #byId). */
  #order: Job[] = [];
  #byId = new Map<string, Job>();
  #byKey = new Map<string, Job>();
  #output = new Map<string, OutputChunk[]>();
  #holes = 0;
  /** Every id, sorted: a prefix is a range (UUIDv7 ids mostly arrive in order, so inserts are appends). */
  #sortedIds: string[] = [];
  /** Ids by their last MIN_ID_FRAGMENT characters: a suffix looks at one small bucket. */
  #byTail = new Map<string, Set<string>>();
  /**
   * The state each job had when last put unless PENDING (the master changes
   * its job objects in place, so the object itself no longer tells), and how
   * many jobs are in each: counts without a walk over the history.
   */
  #stateOf = new Map<string, JobState>();
  #counts = new Map<JobState, number>();
  /** Finished jobs in the order they finished (when they were put finished): history GC takes from the front. */
  #finished = new Map<string, Job>();
  #tokens = new Map<string, StoredToken>();
  #claims = new Map<string, StoredNodeClaim>();

  watchProblem(): () => void {
    return () => {};
  }

  async open(): Promise<RecoveredState> {
    return { activeJobs: [], nextSeq: 1 };
  }

  putJob(job: Job): void {
    const before = this.#lastState(job.id);
    if (before !== job.state) {
      if (before) this.#counts.set(before, (this.#counts.get(before) ?? 1) - 1);
      this.#counts.set(job.state, (this.#counts.get(job.state) ?? 0) + 1);
      // PENDING is implied for a stored job without an entry: a million queued jobs cost no entries.
      if (job.state === 'PENDING') this.#stateOf.delete(job.id);
      else this.#stateOf.set(job.id, job.state);
    }
    if (isTerminal(job.state)) this.#finished.set(job.id, job);
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

  /** The state the job had when it was last put; undefined for a job never put. */
  #lastState(id: string): JobState | undefined {
    return this.#stateOf.get(id) ?? (this.#byId.has(id) ? 'PENDING' : undefined);
  }

  /** Index in #order of the last job submitted before `seq` (binary search), -1 when none. */
  #lastBefore(seq: number): number {
    let low = 0;
    let high = this.#order.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((this.#order[mid] as Job).seq < seq) low = mid + 1;
      else high = mid;
    }
    return low - 1;
  }

  async listJobs(query: JobPageQuery): Promise<JobPage> {
    const wanted = query.states.length ? new Set<JobState>(query.states) : null;
    // Tokens are submit sequence numbers: stable while jobs are added or deleted.
    const before = query.pageToken ? Number(query.pageToken) : Infinity;
    const jobs: Job[] = [];
    let more = false;
    for (let i = this.#lastBefore(before); i >= 0; i -= 1) {
      const job = this.#order[i] as Job;
      if (this.#byId.get(job.id) !== job || (wanted && !wanted.has(job.state))) continue;
      if (jobs.length === query.pageSize) {
        more = true;
        break;
      }
      jobs.push(job);
    }
    const nextPageToken = more ? String(jobs[jobs.length - 1]?.seq) : '';
    return { jobs, nextPageToken, totalCount: await this.countJobs(query.states) };
  }

  async findJobsByIdFragment(fragment: string, limit: number): Promise<Job[]> {
    const found = new Map<string, Job>();
    for (let i = lowerBound(this.#sortedIds, fragment); i < this.#sortedIds.length; i += 1) {
      const id = this.#sortedIds[i] as string;
      if (!id.startsWith(fragment)) break;
      // Deleted ids stay in the sorted list until the next compaction.
      const job = this.#byId.get(id);
      if (job) found.set(id, job);
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
    let count = 0;
    for (const state of new Set(states)) count += this.#counts.get(state) ?? 0;
    return count;
  }

  async readOutput(jobId: string, fromOffset: number): Promise<OutputChunk[]> {
    return chunksFrom(this.#output.get(jobId) ?? [], fromOffset);
  }

  async deleteFinishedJobs({ finishedBeforeMs, keepMax, limit }: HistoryPrune): Promise<number> {
    // The ones that finished first go first, as in the sqlite store: O(deleted), not a sort of the history.
    let excess = Math.max(0, this.#finished.size - keepMax);
    let deleted = 0;
    for (const job of this.#finished.values()) {
      if (deleted >= limit || !(excess > 0 || (job.finishedAtMs ?? 0) < finishedBeforeMs)) break;
      this.#forget(job);
      excess -= 1;
      deleted += 1;
    }
    this.#holes += deleted;
    if (this.#holes > this.#order.length / 2) {
      this.#order = this.#order.filter((job) => this.#byId.get(job.id) === job);
      this.#sortedIds = this.#sortedIds.filter((id) => this.#byId.has(id));
      this.#holes = 0;
    }
    return deleted;
  }

  #forget(job: Job): void {
    const state = this.#lastState(job.id);
    if (state) this.#counts.set(state, (this.#counts.get(state) ?? 1) - 1);
    this.#stateOf.delete(job.id);
    this.#finished.delete(job.id);
    this.#byId.delete(job.id);
    this.#output.delete(job.id);
    const tail = job.id.slice(-MIN_ID_FRAGMENT);
    const bucket = this.#byTail.get(tail);
    bucket?.delete(job.id);
    if (bucket?.size === 0) this.#byTail.delete(tail);
    if (job.spec.idempotencyKey && this.#byKey.get(job.spec.idempotencyKey) === job)
      this.#byKey.delete(job.spec.idempotencyKey);
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
