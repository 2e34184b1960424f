import {
  checkIdFragment,
  checkJobId,
  currentAttempt,
  InvalidArgumentError,
  PermissionDeniedError,
  type Job,
  type JobSpecInput,
  type JobState,
  type JobView,
  type OutputStreamName,
} from '@dist-exec/core';
import type { ClusterState } from '../cluster-state.js';
import type { JobPage, Store } from '../store/store.js';
import type { Submitter } from './job-admission.js';
import type { SubmitResult } from './job-intake.js';
import { watchJob, type WatchRequest, type WatchSink } from './watch.js';
import { watchJobs, type WatchManyRequest, type WatchManySink } from './watch-many.js';

/** A page of ListJobs (and GET /api/v1/jobs) when the caller gives no size. */
export const DEFAULT_PAGE_SIZE = 50;
/** The largest page; a larger size is lowered to it (AIP-158). */
export const MAX_PAGE_SIZE = 1000;
/** The most jobs one bulk submit may create. */
export const MAX_BULK_SUBMIT = 100_000;

/** Who calls a command: a token's name, role and quotas (a Caller is one). */
export interface CommandCaller extends Submitter {
  readonly role: string;
}

export interface JobCommandsOptions {
  /** Submits and cancels; the active jobs (ClusterState writes every job change). */
  cluster: ClusterState;
  /** Where finished jobs, pages of jobs and output are read back from. */
  store: Pick<Store, 'listJobs' | 'findJobsByIdFragment' | 'readOutput'>;
  /** Why a pending job waits, worked out when someone reads it (the scheduler knows). */
  pendingReason(job: Job): string;
}

export interface ListQuery {
  states: readonly JobState[];
  /** 0: the default page size. */
  pageSize: number;
  pageToken: string;
  /** Jobs whose id starts or ends with this (a short id), named in errors as `fragmentField`. */
  idFragment?: string;
  fragmentField?: string;
}

export interface GetOptions {
  /** With the output of the current (or last) attempt. */
  output: boolean;
  /** With the env's values (they may be secrets: admins only). */
  env: boolean;
}

/**
 * What both doors of the master (the gRPC JobService in api.ts and the HTTP
 * routes under http/) may do with jobs, with the checks that do not depend
 * on the wire: ids, bulk limits, paging, who may read env values, and why a
 * pending job waits; and the read side of jobs (pages, short ids, a job
 * with its output), which ClusterState, the writer, does not need. The
 * adapters translate their wire to these calls and
 * the errors through their one table (status-codes.ts, http/errors.ts);
 * answer budgets that depend on the encoding stay with them.
 */
export class JobCommands {
  readonly #cluster: ClusterState;
  readonly #store: JobCommandsOptions['store'];
  readonly #pendingReason: (job: Job) => string;

  constructor(options: JobCommandsOptions) {
    this.#cluster = options.cluster;
    this.#store = options.store;
    this.#pendingReason = options.pendingReason;
  }

  /** Adds what is derived at read time (why a pending job waits). */
  view<T extends Job>(job: T): T {
    return job.state === 'PENDING' ? { ...job, pendingReason: this.#pendingReason(job) } : job;
  }

  /** One job: the new one, or the earlier one its idempotency key matched (`existing`). */
  async submitOne(input: JobSpecInput, by: Submitter): Promise<SubmitResult> {
    const [result] = await this.#cluster.submit([input], by);
    if (!result) throw new Error('submit returned no job');
    return { job: this.view(result.job), existing: result.existing };
  }

  /** Throws unless a bulk submit of `count` specs is within the limits; call it before decoding them. */
  checkBatch(count: number): void {
    if (count === 0) throw new InvalidArgumentError('specs: give at least one job spec', { field: 'specs' });
    if (count > MAX_BULK_SUBMIT) {
      throw new InvalidArgumentError(`specs: ${count} jobs in one call; at most ${MAX_BULK_SUBMIT} are allowed`, {
        field: 'specs',
      });
    }
  }

  /** Many jobs, all stored or none; the results in the order of the specs. */
  submitMany(inputs: readonly JobSpecInput[], by: Submitter): Promise<SubmitResult[]> {
    this.checkBatch(inputs.length);
    return this.#cluster.submit(inputs, by);
  }

  /** A job by id, as `options` asks; env values only for admins. */
  async get(id: string, options: GetOptions, by: CommandCaller): Promise<JobView> {
    if (options.env && by.role !== 'admin') {
      throw new PermissionDeniedError(
        `token "${by.name}" may not read env values (they may be secrets); only admin tokens may`,
      );
    }
    return this.view(await this.#jobView(checkJobId(id), options.output));
  }

  /** The job with the output of its current (or last) attempt. */
  async #jobView(id: string, includeOutput: boolean): Promise<JobView> {
    const job = await this.#cluster.getJob(id);
    if (!includeOutput) return { ...job, stdout: null, stderr: null };
    const attempt = currentAttempt(job);
    const chunks = attempt ? await this.#store.readOutput(id, attempt.outputBase) : [];
    const parts: Record<OutputStreamName, Uint8Array[]> = { stdout: [], stderr: [] };
    for (const chunk of chunks) if (chunk.attempt === attempt?.number) parts[chunk.stream].push(chunk.data);
    return { ...job, stdout: concatBytes(parts.stdout), stderr: concatBytes(parts.stderr) };
  }

  /** The job as it is now, without output (NotFoundError when there is none). */
  job(id: string): Promise<Job> {
    return this.#cluster.getJob(id);
  }

  /** PENDING and RUNNING jobs, from memory. */
  active(): Iterable<Job> {
    return this.#cluster.activeJobs();
  }

  /** Throws NotFoundError when there is no such job (before a stream starts answering). */
  async exists(id: string): Promise<void> {
    await this.#cluster.getJob(checkJobId(id));
  }

  /** A page of jobs, newest first; by id fragment when one is given (one page, no token). */
  async list(query: ListQuery): Promise<JobPage> {
    const paging = parsePaging(query.pageSize, query.pageToken);
    const page = query.idFragment
      ? await this.#findByIdFragment(
          checkIdFragment(query.idFragment, query.fragmentField ?? 'id_fragment'),
          query.states,
          paging.pageSize,
        )
      : await this.#store.listJobs({ states: query.states, ...paging });
    return { ...page, jobs: page.jobs.map((job) => this.view(job)) };
  }

  /** Jobs whose id starts or ends with `fragment` (a short id), in `states` when any, newest first: one page. */
  async #findByIdFragment(fragment: string, states: readonly JobState[], limit: number): Promise<JobPage> {
    const wanted = new Set(states);
    // The state filter is applied to what the index found: a short id matches few jobs.
    const jobs = (await this.#store.findJobsByIdFragment(fragment, states.length ? 1000 : limit))
      .filter((job) => wanted.size === 0 || wanted.has(job.state))
      .slice(0, limit);
    return { jobs, nextPageToken: '', totalCount: jobs.length };
  }

  /** Cancels a pending or running job; the caller's token name is recorded as who cancelled it. */
  async cancel(id: string, by: Submitter): Promise<Job> {
    return this.view(await this.#cluster.cancel(checkJobId(id), by.name));
  }

  /** Streams a job's state and output (see watchJob); jobs as `view` shows them. */
  watch(request: WatchRequest, sink: WatchSink): Promise<void> {
    return watchJob(this.#cluster, { ...request, jobId: checkJobId(request.jobId) }, this.#viewing(sink));
  }

  /** Streams the states of many jobs until each has finished (see watchJobs). */
  watchMany(request: WatchManyRequest, sink: WatchManySink): Promise<void> {
    return watchJobs(this.#cluster, request, this.#viewing(sink));
  }

  #viewing<S extends { job(job: Job): void }>(sink: S): S {
    return { ...sink, job: (job: Job) => sink.job(this.view(job)) };
  }
}

/** Checks a page token and bounds the page size (0: the default). */
export function parsePaging(pageSize: number, pageToken: string): { pageSize: number; pageToken: string } {
  if (pageToken && !/^\d{1,16}$/.test(pageToken)) {
    throw new InvalidArgumentError('pageToken: not a token from a previous page; start again without one', {
      field: 'pageToken',
    });
  }
  return { pageSize: Math.min(pageSize || DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE), pageToken };
}

function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0] as Uint8Array;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
