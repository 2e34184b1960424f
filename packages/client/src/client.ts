import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type * as grpc from '@grpc/grpc-js';
import { backoffDelay, isTerminal, RETRYABLE_CODES } from '@dist-exec/core';
import type {
  ClusterSnapshot,
  JobEvent,
  JobSpecInput,
  JobState,
  JobView,
  NodeInfo,
  TokenInfo,
  TokenLimits,
  TokenRole,
} from '@dist-exec/core';
import {
  chunkFromWire,
  fromServiceError,
  jobFromWire,
  jobStateToWire,
  nodeFromWire,
  clusterFromWire,
  specToWire,
  tokenInfoFromWire,
  tokenLimitsToWire,
  tokenRoleToWire,
  masterAddresses,
  type ClientTls,
  type JobServiceClient,
  type NodeServiceClient,
  type TokenServiceClient,
  type wire,
} from '@dist-exec/proto';
import { DEFAULT_CONNECT_TIMEOUT_MS, type Connection } from './connection.js';
import { MasterEndpoints } from './master-endpoints.js';
import { withRetry, type RetryOptions } from './retry.js';

/** How long waitForJob keeps opening a broken watch again. */
const WAIT_RESUME_FOR_MS = 60_000;

export const DEFAULT_MASTER_ADDRESS = 'localhost:50051';
export const DEFAULT_CALL_TIMEOUT_MS = 10_000;

export interface ClientOptions {
  /** Master gRPC address, host:port. @default 'localhost:50051' */
  address?: string;
  /** Deadline of each unary call, in ms. @default 10000 */
  callTimeoutMs?: number;
  /**
   * How long a call or stream waits for the connection to the master, in ms;
   * keepalive pings notice a master gone silent under an open stream within
   * about as long. @default 10000
   */
  connectTimeoutMs?: number;
  /** Retries of idempotent calls (reads) while the master is unavailable. */
  retry?: RetryOptions;
  /**
   * The token presented on every call (`authorization: Bearer <token>`):
   * its role decides what the client may do. Empty: none (a master with
   * authentication off).
   */
  token?: string;
  /**
   * Dial the master over TLS: `ca` (PEM) verifies its certificate (null: the
   * system's CAs); `cert` and `key` (PEM) are this client's certificate, for
   * a master that requires one (--tls-client-ca). Absent: plaintext.
   */
  tls?: ClientTls | null;
}

export interface SubmitResult {
  job: JobView;
  /** The idempotency key matched an earlier job, which is returned instead of a new one. */
  existing: boolean;
}

export interface ListJobsOptions {
  states?: readonly JobState[];
  /** @default 50 (at most 1000) */
  pageSize?: number;
  pageToken?: string;
  /** Only jobs whose id starts or ends with this (4 to 36 hex digits and dashes): a short id. One page. */
  idFragment?: string;
}

export interface JobPage {
  jobs: JobView[];
  nextPageToken: string;
  totalCount: number;
}

export interface WatchOptions {
  /** Output offset to resume from. @default 0 */
  fromOffset?: number;
  /** Keep watching until the job finishes. @default true */
  follow?: boolean;
  /** Only state changes. @default false */
  noOutput?: boolean;
  signal?: AbortSignal;
}

export interface RunOptions {
  /** Only states, no output. @default false */
  noOutput?: boolean;
  /** After `submitted`, only the final state. @default false */
  finalOnly?: boolean;
  signal?: AbortSignal;
}

/** What `run` yields: first which job was stored, then the job's events as `watch` yields them. */
export type RunEvent = { type: 'submitted'; job: JobView; existing: boolean } | JobEvent;

type Callback<T> = (error: grpc.ServiceError | null, value?: T) => void;

/**
 * Typed promise / async-iterator API over the master's gRPC services. Errors
 * are core's typed classes (InvalidArgumentError, NotFoundError,
 * ResourceExhaustedError, UnavailableError, ...). Silent: it never logs.
 */
export class DistExecClient {
  /** The master's address as given: one host:port, or several masters' (`a:50051,b:50051`). */
  readonly address: string;
  readonly #masters: MasterEndpoints;
  readonly #callTimeoutMs: number;
  readonly #retry: RetryOptions;

  constructor(options: ClientOptions = {}) {
    this.address = options.address ?? DEFAULT_MASTER_ADDRESS;
    this.#callTimeoutMs = options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    this.#retry = options.retry ?? {};
    this.#masters = new MasterEndpoints(
      masterAddresses(this.address),
      options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      options.token ?? '',
      options.tls ?? null,
    );
  }

  // The master talked to now: with several, a call that finds a follower or no master moves on (see #unary).
  get #jobs(): JobServiceClient {
    return this.#masters.current.jobs;
  }

  get #nodes(): NodeServiceClient {
    return this.#masters.current.nodes;
  }

  get #tokens(): TokenServiceClient {
    return this.#masters.current.tokens;
  }

  get #connection(): Connection {
    return this.#masters.current.connection;
  }

  #options(): grpc.CallOptions {
    return { deadline: new Date(Date.now() + this.#callTimeoutMs) };
  }

  /**
   * One call. With several masters, a call the master surely did not take (a
   * follower's refusal, which names the leader; a refused connection) goes to
   * the leader it named, or the next master, a few rounds at most: safe even
   * for a submit, as nothing was stored.
   */
  async #unary<Res>(invoke: (options: grpc.CallOptions, callback: Callback<Res>) => void): Promise<Res> {
    for (let tries = 1; ; tries += 1) {
      const at = this.#masters.current;
      await at.connection.ready();
      const answer = await new Promise<{ error: grpc.ServiceError | null; value?: Res }>((resolve) =>
        invoke(this.#options(), (error, value) => resolve({ error, value })),
      );
      if (!answer.error) return answer.value as Res;
      if (!(await this.#masters.failOver(at, answer.error, tries))) throw await at.connection.explain(answer.error);
    }
  }

  /** A call that is safe to repeat, repeated while the master is unavailable (not when it is silent: `ready` waited already). */
  async #read<Res>(invoke: (options: grpc.CallOptions, callback: Callback<Res>) => void): Promise<Res> {
    await this.#connection.ready();
    return withRetry(() => this.#unary(invoke), this.#retry);
  }

  async submit(spec: JobSpecInput): Promise<SubmitResult> {
    const response = await this.#unary<wire.SubmitJobResponse__Output>((o, cb) =>
      this.#jobs.SubmitJob({ spec: specToWire(spec) }, o, cb),
    );
    return { job: jobFromWire(response.job as wire.Job__Output), existing: response.existing };
  }

  /**
   * Submits many jobs in one call: all are stored, or none. Each spec without
   * an idempotency key gets one (`<random id of the call>:<index>`), so the call is sent
   * again when its answer is lost (UNAVAILABLE, DEADLINE_EXCEEDED) without
   * creating any job twice. The master refuses (INVALID_ARGUMENT, nothing
   * stored) jobs whose whole answer could exceed 4 MiB: use `submitManyIds`.
   */
  async submitMany(specs: readonly JobSpecInput[]): Promise<JobView[]> {
    const request = { specs: keyedWireSpecs(specs) };
    const response = await this.#read<wire.SubmitJobsResponse__Output>((o, cb) =>
      this.#jobs.SubmitJobs(request, o, cb),
    );
    return response.jobs.map((job) => jobFromWire(job));
  }

  /**
   * Like `submitMany`, answered with the new jobs' ids only (in the order of
   * `specs`): much less for the master to encode and for both sides to hold,
   * which is what a bulk submit of many thousands wants. Sent again like
   * `submitMany` when the answer is lost.
   */
  async submitManyIds(specs: readonly JobSpecInput[]): Promise<string[]> {
    const request = { specs: keyedWireSpecs(specs), idsOnly: true };
    const response = await this.#read<wire.SubmitJobsResponse__Output>((o, cb) =>
      this.#jobs.SubmitJobs(request, o, cb),
    );
    // A master from before ids_only answers with whole jobs.
    return response.ids.length || !response.jobs.length ? response.ids : response.jobs.map((job) => job.id);
  }

  /**
   * `output`: with the current attempt's stdout and stderr. `env`: with the
   * values of the job's env, which reads otherwise leave out (admin tokens only).
   */
  async getJob(id: string, options: { output?: boolean; env?: boolean } = {}): Promise<JobView> {
    const output = options.output ?? false;
    const job = await this.#read<wire.Job__Output>((o, cb) =>
      this.#jobs.GetJob({ id, includeOutput: output, includeEnv: options.env ?? false }, o, cb),
    );
    return jobFromWire(job, output);
  }

  async listJobs(options: ListJobsOptions = {}): Promise<JobPage> {
    const response = await this.#read<wire.ListJobsResponse__Output>((o, cb) =>
      this.#jobs.ListJobs(
        {
          states: (options.states ?? []).map(jobStateToWire),
          pageSize: options.pageSize ?? 0,
          pageToken: options.pageToken ?? '',
          idFragment: options.idFragment ?? '',
        },
        o,
        cb,
      ),
    );
    return {
      jobs: response.jobs.map((job) => jobFromWire(job)),
      nextPageToken: response.nextPageToken,
      totalCount: Number(response.totalCount),
    };
  }

  /**
   * Up to `limit` jobs, newest first, over as many ListJobs pages as that
   * takes (the master ends a page early when its jobs are large).
   */
  async listAllJobs(options: { states?: readonly JobState[]; limit: number }): Promise<JobPage> {
    const jobs: JobView[] = [];
    let pageToken = '';
    let totalCount = 0;
    do {
      const page = await this.listJobs({
        states: options.states ?? [],
        pageSize: Math.min(1000, options.limit - jobs.length),
        pageToken,
      });
      jobs.push(...page.jobs.slice(0, options.limit - jobs.length));
      pageToken = page.nextPageToken;
      totalCount = page.totalCount;
    } while (pageToken && jobs.length < options.limit);
    return { jobs, nextPageToken: pageToken, totalCount };
  }

  async cancel(id: string): Promise<JobView> {
    return jobFromWire(await this.#unary<wire.Job__Output>((o, cb) => this.#jobs.CancelJob({ id }, o, cb)));
  }

  /** The job's state changes and output chunks; with `follow` it ends after the final state. */
  async *watch(id: string, options: WatchOptions = {}): AsyncGenerator<JobEvent> {
    const at = this.#masters.current;
    await this.#connection.ready();
    const call = this.#jobs.WatchJob({
      id,
      fromOffset: options.fromOffset ?? 0,
      follow: options.follow ?? true,
      noOutput: options.noOutput ?? false,
    });
    const onAbort = (): void => call.cancel();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for await (const event of call as AsyncIterable<wire.JobEvent__Output>) {
        if (event.job) yield { type: 'job', job: jobFromWire(event.job) };
        else if (event.output) yield { type: 'output', chunk: chunkFromWire(event.output) };
      }
    } catch (error) {
      this.#masters.streamFailed(at, error);
      throw await at.connection.explain(error);
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      call.cancel();
    }
  }

  /**
   * The states of many jobs on one stream, without output: each job as it is
   * now, then its changes (with `finalOnly`, only each job's final state).
   * With `brief`, each job comes without its spec and attempt history (their
   * fields are empty), which the master then need not encode nor the client
   * decode. Ends once every job has finished. At most 100,000 ids per call.
   */
  async *watchJobs(
    ids: readonly string[],
    options: { finalOnly?: boolean; brief?: boolean; signal?: AbortSignal } = {},
  ): AsyncGenerator<JobView> {
    const at = this.#masters.current;
    await this.#connection.ready();
    const call = this.#jobs.WatchJobs({
      ids: [...ids],
      finalOnly: options.finalOnly ?? false,
      brief: options.brief ?? false,
    });
    const onAbort = (): void => call.cancel();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for await (const event of call as AsyncIterable<wire.JobEvent__Output>)
        if (event.job) yield jobFromWire(event.job);
    } catch (error) {
      this.#masters.streamFailed(at, error);
      throw await at.connection.explain(error);
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      call.cancel();
    }
  }

  /**
   * Submits a job and watches it to its end in one call (RunJob): first
   * `submitted`, then its states and output as `watch` with follow yields
   * them. If the stream breaks after `submitted`, resume with `watch` from the
   * last offset.
   */
  async *run(spec: JobSpecInput, options: RunOptions = {}): AsyncGenerator<RunEvent> {
    const at = this.#masters.current;
    await this.#connection.ready();
    const call = this.#jobs.RunJob({
      spec: specToWire(spec),
      noOutput: options.noOutput ?? false,
      finalOnly: options.finalOnly ?? false,
    });
    const onAbort = (): void => call.cancel();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for await (const event of call as AsyncIterable<wire.RunJobEvent__Output>) {
        if (event.submitted) {
          yield {
            type: 'submitted',
            job: jobFromWire(event.submitted.job as wire.Job__Output),
            existing: event.submitted.existing,
          };
        } else if (event.job) yield { type: 'job', job: jobFromWire(event.job) };
        else if (event.output) yield { type: 'output', chunk: chunkFromWire(event.output) };
      }
    } catch (error) {
      this.#masters.streamFailed(at, error);
      throw await at.connection.explain(error);
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      call.cancel();
    }
  }

  /**
   * Resolves with the job once it has finished. A watch that breaks (the
   * master restarts, or fails over to another) is opened again, for up to a
   * minute of trying.
   */
  async waitForJob(id: string, options: { signal?: AbortSignal } = {}): Promise<JobView> {
    let last: JobView | null = null;
    const giveUpAt = Date.now() + WAIT_RESUME_FOR_MS;
    for (let tries = 1; ; tries += 1) {
      try {
        for await (const event of this.watch(id, { noOutput: true, ...options }))
          if (event.type === 'job') last = { ...event.job, stdout: null, stderr: null };
        if (last && isTerminal(last.state)) return last;
        if (!last && tries > 1) throw fromServiceError(new Error(`watch of job ${id} ended without its state`));
      } catch (error) {
        const typed = fromServiceError(error);
        if (options.signal?.aborted || !RETRYABLE_CODES.has(typed.code) || Date.now() > giveUpAt) throw typed;
      }
      await delay(backoffDelay(tries, { baseMs: 100, capMs: 2000 }));
    }
  }

  async listNodes(): Promise<NodeInfo[]> {
    const response = await this.#read<wire.ListNodesResponse__Output>((o, cb) => this.#nodes.ListNodes({}, o, cb));
    return response.nodes.map(nodeFromWire);
  }

  /** The cluster now: jobs by state, queue depth, nodes with health, heartbeat age and use. */
  async getCluster(): Promise<ClusterSnapshot> {
    return clusterFromWire(await this.#read<wire.ClusterStatus__Output>((o, cb) => this.#nodes.GetCluster({}, o, cb)));
  }

  async drainNode(nodeId: string, options: { deadlineMs?: number } = {}): Promise<NodeInfo> {
    return nodeFromWire(
      await this.#unary<wire.Node__Output>((o, cb) =>
        this.#nodes.DrainNode({ nodeId, deadlineMs: options.deadlineMs ?? 0 }, o, cb),
      ),
    );
  }

  async undrainNode(nodeId: string): Promise<NodeInfo> {
    return nodeFromWire(await this.#unary<wire.Node__Output>((o, cb) => this.#nodes.UndrainNode({ nodeId }, o, cb)));
  }

  /** Makes a token (admin tokens only); its secret is in the answer and nowhere else. */
  async createToken(options: {
    name: string;
    role: TokenRole;
    ttlMs?: number;
    /** Quotas, rate limit and command rules of the token. */
    limits?: TokenLimits;
  }): Promise<{ token: TokenInfo; secret: string }> {
    const response = await this.#unary<wire.CreateTokenResponse__Output>((o, cb) =>
      this.#tokens.CreateToken(
        {
          name: options.name,
          role: tokenRoleToWire(options.role),
          ttlMs: options.ttlMs ?? 0,
          ...(options.limits ? { limits: tokenLimitsToWire(options.limits) } : {}),
        },
        o,
        cb,
      ),
    );
    return { token: tokenInfoFromWire(response.token as wire.TokenInfo__Output), secret: response.secret };
  }

  /** The tokens (admin tokens only): names, roles and times, never secrets. */
  async listTokens(options: { includeRevoked?: boolean } = {}): Promise<TokenInfo[]> {
    const response = await this.#read<wire.ListTokensResponse__Output>((o, cb) =>
      this.#tokens.ListTokens({ includeRevoked: options.includeRevoked ?? false }, o, cb),
    );
    return response.tokens.map(tokenInfoFromWire);
  }

  /** Revokes a token (admin tokens only): refused from its next call on, its open streams end. */
  async revokeToken(name: string): Promise<TokenInfo> {
    const response = await this.#unary<wire.RevokeTokenResponse__Output>((o, cb) =>
      this.#tokens.RevokeToken({ name }, o, cb),
    );
    return tokenInfoFromWire(response.token as wire.TokenInfo__Output);
  }

  /** Resolves once connected to the master, or rejects after timeoutMs. */
  waitForReady(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#jobs.waitForReady(new Date(Date.now() + timeoutMs), (error) =>
        error ? reject(fromServiceError(error)) : resolve(),
      );
    });
  }

  close(): void {
    this.#masters.close();
  }
}

/**
 * The specs on the wire, each with an idempotency key: its own, or
 * `<random id of the call>:<index>` (96 random bits: short, since the master
 * keeps and indexes every key).
 */
function keyedWireSpecs(specs: readonly JobSpecInput[]): wire.JobSpec[] {
  const call = randomBytes(12).toString('base64url');
  return specs.map((spec, i) => {
    const wireSpec = specToWire(spec);
    if (!spec.idempotencyKey) wireSpec.idempotencyKey = `${call}:${i}`;
    return wireSpec;
  });
}
