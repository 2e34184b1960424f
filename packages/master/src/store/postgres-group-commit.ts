import { UnavailableError, type Job, type OutputChunk } from '@dist-exec/core';
import type { Logger } from 'pino';
import { StoreUnusableError } from './database-file.js';
import { failureText, isTransient } from './postgres-errors.js';
import type { StoreHealth } from './store-health.js';
import type { StoredNodeClaim, StoredToken } from './store.js';
import { WriteBatch, type Waiter, type WaiterKind } from './write-batch.js';

export interface GroupCommitOptions {
  /** The database, for messages (its password masked). */
  location: string;
  logger: Logger;
  /** Told of every change of `problem`, so the master turns not ready and back. */
  health: StoreHealth;
  /** Commits a batch, and deletes the jobs of failed submits, in one transaction. */
  write(batch: WriteBatch, forgotten: readonly string[]): Promise<void>;
  /** Whether this master still holds what it needs to write (the store's lock). */
  owns(): boolean;
  /** Takes the store's lock again before writing after an outage; a StoreUnusableError when another master has it. */
  reclaim(): Promise<void>;
  /** @default 100 */
  lazyCommitMs?: number;
  /** @default 250 */
  retryMinMs?: number;
  /** @default 5000 */
  retryMaxMs?: number;
  /** @default 268435456 */
  maxBufferedOutputBytes?: number;
}

export const DEFAULT_PG_MAX_BUFFERED_OUTPUT_BYTES = 256 * 1024 * 1024;

/**
 * The PostgreSQL store's write side: writes are buffered, and a flush commits
 * all of them in one transaction on the next `setImmediate`; while one commit
 * is in flight the next burst gathers behind it. Writes nobody awaits ride
 * with the next flush or are committed `lazyCommitMs` later.
 *
 * A database that goes away is an outage, not the end: the failed batch is
 * kept and written again (every upsert and append is idempotent) once the
 * database answers, retried with backoff; meanwhile `problem` says why,
 * submits (flushes that carry new jobs) fail at once and their jobs are
 * forgotten (deleted by the next commit, should the failed one have landed),
 * reads fail, and other flushes wait. A failure the same write would meet
 * again is fatal, as a failed fsync is for SqliteStore.
 */
export class GroupCommit {
  readonly #options: GroupCommitOptions;
  readonly #log: Logger;
  #buffer = new WriteBatch();
  #inflight: WriteBatch | null = null;
  #committing: Promise<void> = Promise.resolve();
  /** Jobs whose submit failed: never stored, and deleted by the next commit should a failed one have stored them. */
  #forgotten = new Set<string>();
  /** A job above this submit number has never been committed: it is new. */
  #durableSeq = 0;
  /** A new job was put since the last flush (the submit's own flush comes next). */
  #unclaimedNew = false;
  #outage: UnavailableError | null = null;
  #fatal: UnavailableError | null = null;
  #closed = false;
  #immediate = false;
  #lazyTimer: NodeJS.Timeout | null = null;
  #retryTimer: NodeJS.Timeout | null = null;
  #retryMs: number;
  #commits = 0;

  constructor(options: GroupCommitOptions, durableSeq: number) {
    this.#options = options;
    this.#log = options.logger;
    this.#durableSeq = durableSeq;
    this.#retryMs = options.retryMinMs ?? 250;
  }

  get commits(): number {
    return this.#commits;
  }

  get problem(): string | null {
    return this.#fatal?.message ?? this.#outage?.message ?? null;
  }

  /** Whether the job's submit failed (it is not stored, whatever a read of the database says). */
  forgotten(id: string): boolean {
    return this.#forgotten.has(id);
  }

  /** The latest version of a job not yet committed. */
  pending(id: string): Job | undefined {
    return this.#buffer.jobs.get(id) ?? this.#inflight?.jobs.get(id);
  }

  pendingByKey(key: string): Job | undefined {
    return this.#buffer.byKey.get(key) ?? this.#inflight?.byKey.get(key);
  }

  putJob(job: Job): void {
    if (this.#fatal || this.#closed || this.#forgotten.has(job.id)) return;
    const buffer = this.#buffer;
    if (job.seq > this.#durableSeq && !buffer.jobs.has(job.id) && !this.#inflight?.jobs.has(job.id))
      this.#unclaimedNew = true;
    buffer.jobs.set(job.id, job);
    if (job.spec.idempotencyKey) buffer.byKey.set(job.spec.idempotencyKey, job);
    this.#buffered();
  }

  putToken(token: StoredToken): void {
    if (this.#fatal || this.#closed) return;
    this.#buffer.tokens.set(token.hash, { ...token });
    this.#buffered();
  }

  putNodeClaim(claim: StoredNodeClaim): void {
    if (this.#fatal || this.#closed) return;
    this.#buffer.claims.set(claim.nodeId, { ...claim });
    this.#buffered();
  }

  deleteNodeClaim(nodeId: string): void {
    if (this.#fatal || this.#closed) return;
    this.#buffer.claims.set(nodeId, null);
    this.#buffered();
  }

  appendOutput(jobId: string, chunk: OutputChunk): void {
    if (this.#fatal || this.#closed || this.#forgotten.has(jobId)) return;
    const buffer = this.#buffer;
    buffer.output.push({ jobId, chunk });
    buffer.outputBytes += chunk.data.length;
    const limit = this.#options.maxBufferedOutputBytes ?? DEFAULT_PG_MAX_BUFFERED_OUTPUT_BYTES;
    if (this.#outage && buffer.outputBytes > limit) {
      this.#die(new Error(`more than ${limit} bytes of output waited for the database (${this.#outage.message})`));
      return;
    }
    this.#buffered();
  }

  flush(): Promise<void> {
    if (this.#fatal) return Promise.reject(this.#fatal);
    if (this.#closed) return Promise.reject(new UnavailableError('the store is closed'));
    const kind: WaiterKind = this.#unclaimedNew ? 'submit' : 'durable';
    this.#unclaimedNew = false;
    if (this.#outage && kind === 'submit') {
      this.#forgetNew(this.#buffer);
      return Promise.reject(this.#outage);
    }
    if (this.#buffer.empty) return this.#inflight ? this.#wait(this.#inflight, kind) : Promise.resolve();
    this.#soon();
    return this.#wait(this.#buffer, kind);
  }

  whenDurable(): Promise<void> {
    if (this.#fatal) return Promise.reject(this.#fatal);
    if (this.#closed) return Promise.reject(new UnavailableError('the store is closed'));
    if (!this.#buffer.empty) return this.#wait(this.#buffer, 'durable');
    return this.#inflight ? this.#wait(this.#inflight, 'durable') : Promise.resolve();
  }

  /** Waits until the writes made so far are committed, so that SQL sees them; fails while the database is away. */
  async settle(): Promise<void> {
    if (this.#fatal) return; // Reads show the last good commit, as SqliteStore's do.
    if (this.#outage) throw this.#outage;
    if (!this.#buffer.empty || this.#forgotten.size > 0) {
      this.#soon();
      await this.#wait(this.#buffer, 'read');
    } else if (this.#inflight) await this.#wait(this.#inflight, 'read');
  }

  /** The store's lock was lost with its connection: nothing is written until it is taken again. */
  lost(error: Error): void {
    if (!this.#closed) this.#enterOutage(error);
  }

  #wait(batch: WriteBatch, kind: WaiterKind): Promise<void> {
    return new Promise((resolve, reject) => batch.waiters.push({ kind, resolve, reject }));
  }

  #buffered(): void {
    if (this.#lazyTimer || this.#outage || this.#fatal) return;
    this.#lazyTimer = setTimeout(() => this.#commit(), this.#options.lazyCommitMs ?? 100);
    this.#lazyTimer.unref();
  }

  #soon(): void {
    if (this.#immediate || this.#outage) return;
    this.#immediate = true;
    setImmediate(() => this.#commit());
  }

  /** Starts committing what is buffered, unless a commit is in flight (the next one starts when it ends). */
  #commit(retrying = false): void {
    this.#immediate = false;
    if (this.#lazyTimer) clearTimeout(this.#lazyTimer);
    this.#lazyTimer = null;
    if (this.#inflight || this.#fatal || this.#closed || (this.#outage && !retrying)) return;
    const batch = this.#buffer;
    const forgotten = [...this.#forgotten];
    if (batch.empty && forgotten.length === 0 && !retrying) {
      for (const waiter of batch.waiters.splice(0)) waiter.resolve();
      return;
    }
    this.#buffer = new WriteBatch();
    this.#inflight = batch;
    this.#committing = this.#options.write(batch, forgotten).then(
      () => this.#committed(batch, forgotten),
      (error: unknown) => this.#failed(batch, error),
    );
  }

  #committed(batch: WriteBatch, forgotten: string[]): void {
    this.#inflight = null;
    this.#commits += 1;
    for (const job of batch.jobs.values()) if (job.seq > this.#durableSeq) this.#durableSeq = job.seq;
    for (const id of forgotten) this.#forgotten.delete(id);
    if (this.#outage && this.#options.owns() && !this.#fatal) {
      this.#log.info({ url: this.#options.location }, 'database reachable again; writes resume');
      this.#outage = null;
      this.#retryMs = this.#options.retryMinMs ?? 250;
      this.#options.health.set(null);
    }
    for (const waiter of batch.waiters) waiter.resolve();
    this.#next();
  }

  #failed(batch: WriteBatch, error: unknown): void {
    this.#inflight = null;
    if (this.#closed) {
      for (const waiter of batch.waiters) waiter.reject(new UnavailableError('the store is closed'));
      return;
    }
    if (!isTransient(error)) {
      this.#die(error, batch);
      return;
    }
    // The batch goes back in front of what came in since; newer versions of a job win.
    const buffer = this.#buffer;
    for (const [id, job] of buffer.jobs) batch.jobs.set(id, job);
    for (const [key, job] of buffer.byKey) batch.byKey.set(key, job);
    for (const entry of buffer.output) batch.output.push(entry);
    batch.outputBytes += buffer.outputBytes;
    for (const [hash, token] of buffer.tokens) batch.tokens.set(hash, token);
    for (const [nodeId, claim] of buffer.claims) batch.claims.set(nodeId, claim);
    for (const waiter of buffer.waiters) batch.waiters.push(waiter);
    this.#buffer = batch;
    this.#enterOutage(error);
    this.#next();
  }

  /** What comes after a commit ends: the next one now, lazily, or once the database is back. */
  #next(): void {
    if (this.#closed || this.#fatal) return;
    if (this.#outage) {
      this.#scheduleRetry();
      return;
    }
    const buffer = this.#buffer;
    if (buffer.empty && this.#forgotten.size === 0) {
      for (const waiter of buffer.waiters.splice(0)) waiter.resolve();
    } else if (buffer.waiters.some((w) => w.kind !== 'durable')) this.#soon();
    else this.#buffered();
  }

  #enterOutage(error: unknown): void {
    const first = !this.#outage;
    const location = this.#options.location;
    this.#outage = new UnavailableError(
      `the database at ${location} is unavailable (${failureText(error)}); writes resume when it is back`,
      { cause: error },
    );
    this.#options.health.set(this.#outage.message);
    if (first) this.#log.error({ err: error, url: location }, 'database unavailable; writes wait until it is back');
    else this.#log.debug({ err: error, url: location }, 'database still unavailable');
    // Submits and reads cannot be answered now; what else waits is kept for the retry.
    const buffer = this.#buffer;
    const patient: Waiter[] = [];
    for (const waiter of buffer.waiters) {
      if (waiter.kind === 'durable') patient.push(waiter);
      else waiter.reject(this.#outage);
    }
    buffer.waiters = patient;
    this.#forgetNew(buffer);
    if (!this.#inflight) this.#scheduleRetry();
  }

  /** Drops the jobs never committed: their submits failed, so they must not appear later. */
  #forgetNew(batch: WriteBatch): void {
    batch.forgetJobsAfter(this.#durableSeq, this.#forgotten);
  }

  #scheduleRetry(): void {
    if (this.#retryTimer || this.#closed) return;
    this.#retryTimer = setTimeout(() => void this.#retry(), this.#retryMs);
    this.#retryTimer.unref();
    this.#retryMs = Math.min(this.#retryMs * 2, this.#options.retryMaxMs ?? 5000);
  }

  async #retry(): Promise<void> {
    this.#retryTimer = null;
    if (this.#closed || this.#fatal || this.#inflight || !this.#outage) return;
    if (!this.#options.owns()) {
      try {
        await this.#options.reclaim();
      } catch (error) {
        if (this.#closed) return;
        if (error instanceof StoreUnusableError) {
          // Another master took the store while this one was cut off: it must not write again.
          this.#die(new Error('another master took the database while this one was cut off from it'));
        } else {
          this.#log.debug({ err: error, url: this.#options.location }, 'database still unavailable');
          this.#scheduleRetry();
        }
        return;
      }
    }
    if (!this.#closed) this.#commit(true);
  }

  /** The store can no longer promise anything: every waiter fails, now and later; a restart recovers. */
  #die(error: unknown, batch?: WriteBatch): void {
    const location = this.#options.location;
    this.#fatal = new UnavailableError(
      `the store cannot write to ${location}: ${failureText(error)}; restart the master`,
      { cause: error },
    );
    this.#options.health.set(this.#fatal.message);
    const lost = (batch?.jobs.size ?? 0) + this.#buffer.jobs.size;
    this.#log.fatal(
      { err: error, url: location, lostJobs: lost },
      'store commit failed; no more writes are acknowledged',
    );
    for (const waiter of [...(batch?.waiters ?? []), ...this.#buffer.waiters]) waiter.reject(this.#fatal);
    this.#buffer = new WriteBatch();
    this.#clearTimers();
  }

  /** Commits what is buffered while the database takes it, then fails whatever still waits. */
  async close(): Promise<void> {
    if (this.#closed) return;
    while (!this.#fatal && !this.#outage && (this.#inflight || !this.#buffer.empty || this.#forgotten.size)) {
      if (!this.#inflight) this.#commit();
      await this.#committing;
    }
    this.#closed = true;
    this.#clearTimers();
    await this.#committing;
    const buffer = this.#buffer;
    if (!buffer.empty)
      this.#log.warn(
        { url: this.#options.location, lostJobs: buffer.jobs.size, lostChunks: buffer.output.length },
        'store closed with writes the database never took',
      );
    for (const waiter of buffer.waiters.splice(0)) waiter.reject(new UnavailableError('the store is closed'));
    this.#buffer = new WriteBatch();
  }

  #clearTimers(): void {
    if (this.#lazyTimer) clearTimeout(this.#lazyTimer);
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#lazyTimer = null;
    this.#retryTimer = null;
  }
}
