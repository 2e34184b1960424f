import { NO_TOKEN_LIMITS, type Job, type JobSpec, type TokenLimits } from '@dist-exec/core';
import { submitterOfClass, type ClassFilter } from './job-queue.js';

/**
 * How many jobs each token has PENDING and RUNNING, against its quotas
 * (`token create --max-pending N --max-running M`). ClusterState, the one
 * writer of job states, reports every change here; the submit path asks
 * whether a token may queue more, and the scheduler skips the classes of a
 * token that runs its most (this is a ClassFilter). `version` changes
 * whenever a token reaches or leaves its running quota, so the queue's
 * cached answers stay right.
 */
export class TokenUsage implements ClassFilter {
  readonly #limitsOf: (name: string) => TokenLimits;
  readonly #pending = new Map<string, number>();
  readonly #running = new Map<string, number>();
  #version = 0;

  /** `limitsOf`: the quotas of the token of that name (none for a name no token has). */
  constructor(limitsOf: (name: string) => TokenLimits = () => NO_TOKEN_LIMITS) {
    this.#limitsOf = limitsOf;
  }

  get version(): number {
    return this.#version;
  }

  pending(name: string): number {
    return this.#pending.get(name) ?? 0;
  }

  running(name: string): number {
    return this.#running.get(name) ?? 0;
  }

  limits(name: string): TokenLimits {
    return this.#limitsOf(name);
  }

  /** A job of `name`'s entered PENDING: submitted, or recovered queued. */
  queued(job: Job): void {
    add(this.#pending, job.submittedBy, 1);
  }

  /** A PENDING job left the system without running (cancelled, or a submit that could not be stored). */
  dequeued(job: Job): void {
    add(this.#pending, job.submittedBy, -1);
  }

  /** PENDING → RUNNING. */
  started(job: Job): void {
    add(this.#pending, job.submittedBy, -1);
    this.#runningChanged(job.submittedBy, 1);
  }

  /** A RUNNING job recovered at start (it was never counted as pending). */
  recoveredRunning(job: Job): void {
    this.#runningChanged(job.submittedBy, 1);
  }

  /** RUNNING → finished. */
  ended(job: Job): void {
    this.#runningChanged(job.submittedBy, -1);
  }

  /** RUNNING → PENDING again (a retry). */
  requeued(job: Job): void {
    this.#runningChanged(job.submittedBy, -1);
    add(this.#pending, job.submittedBy, 1);
  }

  /** Whether `name` runs as many jobs as its --max-running allows. */
  atRunningQuota(name: string): boolean {
    if (!name) return false;
    const max = this.#limitsOf(name).maxRunning;
    return max > 0 && this.running(name) >= max;
  }

  /** ClassFilter: classes of a token at its running quota wait. */
  has(cls: string, _spec?: JobSpec): boolean {
    return this.atRunningQuota(submitterOfClass(cls));
  }

  /** Why a PENDING job of `name` waits on its token's quota, or '' when it does not. */
  waitReason(name: string): string {
    if (!this.atRunningQuota(name)) return '';
    const max = this.#limitsOf(name).maxRunning;
    return `waiting for token "${name}" to have fewer than ${max} jobs running (its --max-running); it has ${this.running(name)}`;
  }

  #runningChanged(name: string, delta: number): void {
    const was = this.atRunningQuota(name);
    add(this.#running, name, delta);
    if (was !== this.atRunningQuota(name)) this.#version += 1;
  }
}

function add(counts: Map<string, number>, name: string, delta: number): void {
  const next = (counts.get(name) ?? 0) + delta;
  if (next <= 0) counts.delete(name);
  else counts.set(name, next);
}
