import { currentAttempt, isTerminal, type FailureReason, type Job, type JobState } from '@dist-exec/core';
import { MemoryStore } from '@dist-exec/master';

type Terminal = 'COMPLETED' | 'FAILED' | 'CANCELLED';

/** What the ledger counted over a run. */
export interface LedgerCounts {
  /** Jobs seen being stored for the first time. */
  submitted: number;
  /** Attempts dispatched (PENDING → RUNNING). */
  attempts: number;
  /** Attempts that ended their job (RUNNING → a terminal state). */
  finalAttempts: number;
  /** RUNNING → PENDING after a lost worker: the attempt counted, and the job runs again. */
  retriedAfterNodeFailure: number;
  /** RUNNING → PENDING after any other retryable failure. */
  retriedAfterFailure: number;
  /** RUNNING → PENDING for attempts that surely never ran (free: refused, declined, handed back). */
  requeuedUnstarted: number;
  /** Entries into a terminal state, by state. */
  terminal: Record<Terminal, number>;
  /** Why FAILED jobs failed. */
  failedBy: Partial<Record<FailureReason, number>>;
  /** Jobs that entered a terminal state more than once, or changed after it. Must stay 0. */
  violations: number;
}

const MAX_VIOLATION_NOTES = 10;

/**
 * Watches every job write the master makes (all its state changes go
 * through the store) and keeps the books a run is judged by: each job must
 * reach a terminal state exactly once, and attempts must add up.
 */
export class JobLedger {
  readonly #seen = new Map<string, { state: JobState; attempts: number }>();
  readonly counts: LedgerCounts = {
    submitted: 0,
    attempts: 0,
    finalAttempts: 0,
    retriedAfterNodeFailure: 0,
    retriedAfterFailure: 0,
    requeuedUnstarted: 0,
    terminal: { COMPLETED: 0, FAILED: 0, CANCELLED: 0 },
    failedBy: {},
    violations: 0,
  };
  /** The first few violations, for people. */
  readonly violationNotes: string[] = [];

  /** Attempts that ended one way or another (the rest are running). */
  get endedAttempts(): number {
    const c = this.counts;
    return c.finalAttempts + c.retriedAfterNodeFailure + c.retriedAfterFailure + c.requeuedUnstarted;
  }

  get terminalCount(): number {
    const t = this.counts.terminal;
    return t.COMPLETED + t.FAILED + t.CANCELLED;
  }

  /** Jobs seen that have not reached a terminal state. */
  get openCount(): number {
    return this.counts.submitted - this.terminalCount;
  }

  observe(job: Job): void {
    const before = this.#seen.get(job.id);
    if (!before) {
      this.counts.submitted += 1;
      this.#seen.set(job.id, { state: job.state, attempts: job.attempts });
      if (isTerminal(job.state)) this.#enterTerminal(job);
      return;
    }
    if (isTerminal(before.state)) {
      this.#violation(`job ${job.id} was written again after it was ${before.state} (now ${job.state})`);
      before.state = job.state;
      return;
    }
    if (job.attempts > before.attempts) this.counts.attempts += job.attempts - before.attempts;
    if (job.state === 'PENDING' && before.state === 'RUNNING') this.#requeued(job);
    if (isTerminal(job.state)) {
      if (before.state === 'RUNNING') this.counts.finalAttempts += 1;
      this.#enterTerminal(job);
    }
    before.state = job.state;
    before.attempts = job.attempts;
  }

  #requeued(job: Job): void {
    const attempt = currentAttempt(job);
    if (attempt?.free) this.counts.requeuedUnstarted += 1;
    else if (attempt?.reason === 'WORKER_LOST') this.counts.retriedAfterNodeFailure += 1;
    else this.counts.retriedAfterFailure += 1;
  }

  #enterTerminal(job: Job): void {
    const state = job.state as Terminal;
    this.counts.terminal[state] += 1;
    if (state === 'FAILED') {
      const reason = job.reason ?? 'EXECUTOR_ERROR';
      this.counts.failedBy[reason] = (this.counts.failedBy[reason] ?? 0) + 1;
    }
  }

  #violation(note: string): void {
    this.counts.violations += 1;
    if (this.violationNotes.length < MAX_VIOLATION_NOTES) this.violationNotes.push(note);
  }
}

/**
 * The in-memory store, with every job write shown to the ledger first. The
 * ledger sees exactly what the master makes durable, so it judges the
 * master's own record rather than a copy kept by watching from outside.
 */
export class LedgerStore extends MemoryStore {
  readonly #ledger: JobLedger;

  constructor(ledger: JobLedger) {
    super();
    this.#ledger = ledger;
  }

  override putJob(job: Job): void {
    this.#ledger.observe(job);
    super.putJob(job);
  }
}
