import { backoffDelay, UnavailableError, type Clock, type Job, type OutputChunk, type Timer } from '@dist-exec/core';
import type { Logger } from 'pino';
import type { StoreHealth } from './store-health.js';
import type { StoredNodeClaim, StoredToken } from './store.js';
import { WriteBatch, type Waiter, type WaiterKind } from './write-batch.js';

/** What a failed write means. */
export interface WriteFailure {
  /** One line a person acts on: `disk full at /var/lib/dist-exec: 0 bytes free; …`. */
  problem: string;
  /** The same write would fail however often it is tried: only a restart helps. */
  fatal: boolean;
}

export interface SqliteGroupCommitOptions {
  /**
   * Writes the batch and deletes the jobs of failed submits, in one
   * transaction; with `probe`, also a write that reaches the disk whatever
   * the batch holds (a retry must prove the disk takes writes again). Throws
   * when it cannot.
   */
  write(batch: WriteBatch, forgotten: readonly string[], probe: boolean): void;
  /** Before each retry: puts back what writing needs (files deleted under the store, its lock). Throws when it cannot yet. */
  repair(): void;
  describe(error: unknown): WriteFailure;
  health: StoreHealth;
  clock: Clock;
  logger: Logger;
  /** Longest an unawaited write waits for a commit, in ms. */
  lazyCommitMs: number;
  /** First delay between retries of a store that cannot write, in ms; it doubles up to retryMaxMs. */
  retryMinMs: number;
  retryMaxMs: number;
  /** Output held while the store cannot write, beyond which it gives up (a restart recovers output from the workers). */
  maxBufferedOutputBytes: number;
}

/**
 * The sqlite store's write side. Writes are buffered; a flush commits all of
 * them in one transaction on the next `setImmediate`, so the flushes of one
 * event-loop turn share an fsync; writes nobody awaits ride with the next
 * flush or are committed `lazyCommitMs` later.
 *
 * A commit that fails (disk full, read-only, I/O error, a file deleted under
 * the store) does not end the store. Nothing it held was acknowledged, so:
 * submits in it fail and their jobs are forgotten (never written later, and
 * deleted by the next commit should the failed one have reached the disk);
 * the rest (attempts, results, output, which the master has acted on and the
 * workers still hold) is kept, with what comes after, and written by a retry
 * with backoff. Meanwhile `health` says why, new submits fail at once, and
 * other flushes wait. The first write that succeeds clears it all. A failure
 * the same write would meet again (a constraint, a corrupt file, another
 * master on the data dir) is fatal, as Postgres panics on a failed fsync.
 */
export class SqliteGroupCommit {
  readonly #options: SqliteGroupCommitOptions;
  readonly #log: Logger;
  #buffer = new WriteBatch();
  /** Jobs whose submit failed: never written, and deleted by the next commit should a failed one have stored them. */
  readonly #forgotten = new Set<string>();
  /** A job above this submit number has never been committed: it is new. */
  #durableSeq: number;
  /** A new job was put since the last flush (the submit's own flush comes next). */
  #unclaimedNew = false;
  /** Why the store cannot write now (it retries), or null. */
  #failure: UnavailableError | null = null;
  #fatal: UnavailableError | null = null;
  #closed = false;
  #immediate = false;
  #lazyTimer: NodeJS.Timeout | null = null;
  #retryTimer: Timer | null = null;
  #retries = 0;
  #commits = 0;

  constructor(options: SqliteGroupCommitOptions, durableSeq: number) {
    this.#options = options;
    this.#log = options.logger;
    this.#durableSeq = durableSeq;
  }

  get commits(): number {
    return this.#commits;
  }

  /** The store cannot write now, for a while (retrying) or for good. */
  get failing(): boolean {
    return this.#failure !== null || this.#fatal !== null;
  }

  /** Whether the job's submit failed (it is not stored, whatever a read of the file says). */
  forgotten(id: string): boolean {
    return this.#forgotten.has(id);
  }

  /** The latest version of a job not yet committed. */
  pending(id: string): Job | undefined {
    return this.#buffer.jobs.get(id);
  }

  pendingByKey(key: string): Job | undefined {
    return this.#buffer.byKey.get(key);
  }

  /** Every job with a submit number above this one has never been committed (nor has any forgotten one's submit). */
  get committedSeq(): number {
    return this.#durableSeq;
  }

  /** The ids of jobs whose submits failed. */
  get forgottenIds(): ReadonlySet<string> {
    return this.#forgotten;
  }

  /** Every job version and output chunk not yet committed. */
  get buffered(): WriteBatch {
    return this.#buffer;
  }

  putJob(job: Job): void {
    if (this.#fatal || this.#closed || this.#forgotten.has(job.id)) return;
    const buffer = this.#buffer;
    if (job.seq > this.#durableSeq && !buffer.jobs.has(job.id)) this.#unclaimedNew = true;
    buffer.jobs.set(job.id, job);
    if (job.spec.idempotencyKey) buffer.byKey.set(job.spec.idempotencyKey, job);
    this.#buffered();
  }

  /** A token created (never used nor revoked yet) is new, as a submit's job is: its create fails while the store cannot write. */
  putToken(token: StoredToken): void {
    if (this.#fatal || this.#closed) return;
    if (token.lastUsedAtMs === null && token.revokedAtMs === null) this.#unclaimedNew = true;
    this.#buffer.tokens.set(token.hash, { ...token });
    this.#buffered();
  }

  /** A node's claim, or null: the node id is free again. */
  putNodeClaim(nodeId: string, claim: StoredNodeClaim | null): void {
    if (this.#fatal || this.#closed) return;
    this.#buffer.claims.set(nodeId, claim && { ...claim });
    this.#buffered();
  }

  appendOutput(jobId: string, chunk: OutputChunk): void {
    if (this.#fatal || this.#closed || this.#forgotten.has(jobId)) return;
    const buffer = this.#buffer;
    buffer.output.push({ jobId, chunk });
    buffer.outputBytes += chunk.data.length;
    const limit = this.#options.maxBufferedOutputBytes;
    if (this.#failure && buffer.outputBytes > limit) {
      this.#die(
        `more than ${limit} bytes of output waited for the store (${this.#failure.message}); restart the master`,
        this.#failure,
      );
      return;
    }
    this.#buffered();
  }

  flush(): Promise<void> {
    if (this.#fatal) return Promise.reject(this.#fatal);
    if (this.#closed) return Promise.reject(new UnavailableError('the store is closed'));
    const kind: WaiterKind = this.#unclaimedNew ? 'submit' : 'durable';
    this.#unclaimedNew = false;
    if (this.#failure && kind === 'submit') {
      this.#forgetNew(this.#buffer);
      return Promise.reject(this.#failure);
    }
    if (this.#buffer.empty) return Promise.resolve();
    this.#soon();
    return this.#wait(kind);
  }

  whenDurable(): Promise<void> {
    if (this.#fatal) return Promise.reject(this.#fatal);
    if (this.#closed) return Promise.reject(new UnavailableError('the store is closed'));
    return this.#buffer.empty ? Promise.resolve() : this.#wait('durable');
  }

  /** Commits what is buffered now, so that SQL sees it; false when the store cannot write (reads then see the buffer on top). */
  settle(): boolean {
    if (this.failing) return false;
    this.#commit();
    return !this.failing;
  }

  /** Something outside a commit found that writes would not be durable (a file deleted under the store). */
  fail(error: unknown): void {
    if (this.#closed || this.#fatal) return;
    const failure = this.#options.describe(error);
    if (failure.fatal) this.#die(failure.problem, error);
    else this.#enterFailure(failure.problem, error);
  }

  #wait(kind: WaiterKind): Promise<void> {
    return new Promise((resolve, reject) => this.#buffer.waiters.push({ kind, resolve, reject }));
  }

  #buffered(): void {
    if (this.#lazyTimer || this.failing) return;
    this.#lazyTimer = setTimeout(() => this.#commit(), this.#options.lazyCommitMs);
    this.#lazyTimer.unref();
  }

  #soon(): void {
    if (this.#immediate || this.failing) return;
    this.#immediate = true;
    setImmediate(() => this.#commit());
  }

  /** Writes everything buffered in one transaction (a retry writes even nothing: a probe). */
  #commit(retrying = false): void {
    this.#immediate = false;
    if (this.#lazyTimer) clearTimeout(this.#lazyTimer);
    this.#lazyTimer = null;
    if (this.#fatal || this.#closed || (this.#failure && !retrying)) return;
    const batch = this.#buffer;
    const forgotten = [...this.#forgotten];
    if (batch.empty && forgotten.length === 0 && !retrying) {
      for (const waiter of batch.waiters.splice(0)) waiter.resolve();
      return;
    }
    this.#buffer = new WriteBatch();
    try {
      this.#options.write(batch, forgotten, retrying);
    } catch (error) {
      // Nothing can have been added meanwhile (the write is synchronous), but keep the order anyway.
      batch.absorb(this.#buffer);
      this.#buffer = batch;
      this.fail(error);
      return;
    }
    this.#committed(batch, forgotten);
  }

  #committed(batch: WriteBatch, forgotten: readonly string[]): void {
    this.#commits += 1;
    for (const job of batch.jobs.values()) if (job.seq > this.#durableSeq) this.#durableSeq = job.seq;
    for (const id of forgotten) this.#forgotten.delete(id);
    if (this.#failure) {
      this.#log.info(
        { problem: this.#failure.message, retries: this.#retries, jobs: batch.jobs.size, chunks: batch.output.length },
        'store writable again; submits are taken again',
      );
      this.#failure = null;
      this.#retries = 0;
      this.#options.health.set(null);
    }
    for (const waiter of batch.waiters) waiter.resolve();
  }

  #enterFailure(problem: string, cause: unknown): void {
    const first = !this.#failure;
    this.#failure = new UnavailableError(problem, { cause });
    if (first)
      this.#log.error(
        { err: cause, problem, jobs: this.#buffer.jobs.size, chunks: this.#buffer.output.length },
        'store cannot write; submits are refused and other writes wait until it can',
      );
    else this.#log.debug({ err: cause, problem, retries: this.#retries }, 'store still cannot write');
    // Submits cannot be answered now; what else waits is kept for the retry.
    const patient: Waiter[] = [];
    for (const waiter of this.#buffer.waiters) {
      if (waiter.kind === 'durable') patient.push(waiter);
      else waiter.reject(this.#failure);
    }
    this.#buffer.waiters = patient;
    this.#forgetNew(this.#buffer);
    this.#options.health.set(problem);
    this.#scheduleRetry();
  }

  /** Drops the jobs (and tokens) never committed: their submits failed, so they must not appear later. */
  #forgetNew(batch: WriteBatch): void {
    for (const [hash, token] of batch.tokens)
      if (token.lastUsedAtMs === null && token.revokedAtMs === null) batch.tokens.delete(hash);
    batch.forgetJobsAfter(this.#durableSeq, this.#forgotten);
  }

  #scheduleRetry(): void {
    if (this.#retryTimer || this.#closed || this.#fatal) return;
    this.#retries += 1;
    const delay = backoffDelay(this.#retries, {
      baseMs: this.#options.retryMinMs,
      capMs: this.#options.retryMaxMs,
      jitter: 0,
    });
    this.#retryTimer = this.#options.clock.setTimeout(() => this.#retry(), delay);
  }

  #retry(): void {
    this.#retryTimer = null;
    if (this.#closed || this.#fatal || !this.#failure) return;
    try {
      this.#options.repair();
    } catch (error) {
      this.fail(error);
      return;
    }
    this.#commit(true);
  }

  /** The store can no longer promise anything: every waiter fails, now and later; a restart recovers. */
  #die(problem: string, cause: unknown): void {
    this.#fatal = new UnavailableError(problem, { cause });
    this.#failure = null;
    this.#log.fatal(
      { err: cause, problem, lostJobs: this.#buffer.jobs.size, lostChunks: this.#buffer.output.length },
      'store commit failed; no more writes are acknowledged',
    );
    for (const waiter of this.#buffer.waiters) waiter.reject(this.#fatal);
    this.#buffer = new WriteBatch();
    this.#clearTimers();
    this.#options.health.set(problem);
  }

  /** Commits what is buffered when it can, then fails whatever still waits. Idempotent. */
  close(): void {
    if (this.#closed) return;
    if (!this.failing) this.#commit();
    this.#closed = true;
    this.#clearTimers();
    const buffer = this.#buffer;
    if (!buffer.empty && !this.#fatal)
      this.#log.warn(
        { problem: this.#failure?.message, lostJobs: buffer.jobs.size, lostChunks: buffer.output.length },
        'store closed with writes it could not make; the workers report their results again',
      );
    for (const waiter of buffer.waiters.splice(0)) waiter.reject(new UnavailableError('the store is closed'));
    this.#buffer = new WriteBatch();
  }

  #clearTimers(): void {
    if (this.#lazyTimer) clearTimeout(this.#lazyTimer);
    this.#lazyTimer = null;
    this.#immediate = false;
    this.#retryTimer?.cancel();
    this.#retryTimer = null;
  }
}
