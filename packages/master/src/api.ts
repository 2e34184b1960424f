import type * as grpc from '@grpc/grpc-js';
import {
  checkIdFragment,
  checkJobId,
  checkNodeId,
  InvalidArgumentError,
  PermissionDeniedError,
  JOB_STATES,
  type Job,
  type JobState,
  type JobView,
  type ClusterSnapshot,
} from '@dist-exec/core';
import {
  attemptReportsFromWire,
  encodedBytes,
  chunkToWire,
  clusterToWire,
  jobStateFromWire,
  jobToWire,
  nodeToWire,
  num,
  specFromWire,
  v1,
  type JobServiceHandlers,
  type NodeServiceHandlers,
  type wire,
} from '@dist-exec/proto';
import { serverStream, unary, type Caller } from '@dist-exec/runtime';
import { checkWholeJobsAnswer, fitOutput, fitPage, wholeJobsFit } from './answer-budget.js';
import type { NodeClaims } from './auth/node-claims.js';
import type { Logger } from 'pino';
import type { ClusterState } from './cluster-state.js';
import type { NodeManager } from './nodes/node-manager.js';
import { checkRegistration } from './nodes/registration.js';
import { HeartbeatStreams } from './nodes/heartbeat-streams.js';
import type { Scheduler } from './scheduler.js';
import type { Store } from './store/store.js';
import { watchJob, type WatchSink } from './jobs/watch.js';
import { watchJobs } from './jobs/watch-many.js';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 1000;
export const MAX_BULK_SUBMIT = 100_000;

export interface ApiContext {
  cluster: ClusterState;
  nodes: NodeManager;
  scheduler: Scheduler;
  store: Store;
  logger: Logger;
  masterId: string;
  /** The lease epoch this master leads under, in every answer to a worker (0: a master without leases). */
  epoch: number;
  /** The cluster now, for GetCluster. */
  snapshot(): Promise<ClusterSnapshot>;
  /** Who makes a call (the auth interceptor established it). */
  caller(call: { metadata: grpc.Metadata }): Caller;
  /** Which worker holds each node id. */
  claims: NodeClaims;
}

/** Adds what is derived at read time (why a pending job waits). */
function forClient(ctx: ApiContext, job: Job | JobView): Job | JobView {
  return job.state === 'PENDING' ? { ...job, pendingReason: ctx.scheduler.pendingReason(job) } : job;
}

export function parseStates(states: readonly (string | number)[]): JobState[] {
  return states.map((state) => {
    const parsed = jobStateFromWire(state as wire.Job__Output['state']);
    if (!parsed || !JOB_STATES.includes(parsed)) {
      throw new InvalidArgumentError(`states: "${state}" is not a job state; use ${JOB_STATES.join(', ')}`, {
        field: 'states',
      });
    }
    return parsed;
  });
}

export function parsePaging(pageSize: number, pageToken: string): { pageSize: number; pageToken: string } {
  if (pageToken && !/^\d{1,16}$/.test(pageToken)) {
    throw new InvalidArgumentError('pageToken: not a token from a previous page; start again without one', {
      field: 'pageToken',
    });
  }
  // Like most APIs (AIP-158), a page size above the maximum is lowered to it.
  return { pageSize: Math.min(pageSize || DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE), pageToken };
}

export function jobServiceHandlers(ctx: ApiContext): JobServiceHandlers {
  const log = ctx.logger.child({ component: 'api' });
  const onInternalError = (error: unknown, method: string): void => log.error({ err: error, method }, 'request failed');
  const { cluster } = ctx;

  return {
    SubmitJob: unary(
      'SubmitJob',
      async (request: wire.SubmitJobRequest__Output, call) => {
        const [result] = await cluster.submit([specFromWire(request.spec)], ctx.caller(call));
        if (!result) throw new Error('submit returned no job');
        return { job: jobToWire(forClient(ctx, result.job)), existing: result.existing };
      },
      onInternalError,
    ),

    SubmitJobs: unary(
      'SubmitJobs',
      async (request: wire.SubmitJobsRequest__Output, call) => {
        if (request.specs.length === 0)
          throw new InvalidArgumentError('specs: give at least one job spec', { field: 'specs' });
        if (request.specs.length > MAX_BULK_SUBMIT) {
          throw new InvalidArgumentError(
            `specs: ${request.specs.length} jobs in one call; at most ${MAX_BULK_SUBMIT} are allowed`,
            { field: 'specs' },
          );
        }
        if (!request.idsOnly) checkWholeJobsAnswer(encodedBytes(request), request.specs.length);
        const results = await cluster.submit(request.specs.map(specFromWire), ctx.caller(call));
        const ids = results.map((r) => r.job.id);
        if (request.idsOnly) return { ids };
        // Earlier jobs of idempotency keys may have grown (attempts): stored now, so answer with what fits.
        if (results.some((r) => r.existing) && !wholeJobsFit(results.map((r) => r.job))) {
          log.warn({ jobs: results.length }, 'SubmitJobs answered with ids only: the whole jobs would not fit');
          return { ids };
        }
        return { jobs: results.map((r) => jobToWire(r.job)), ids };
      },
      onInternalError,
    ),

    GetJob: unary(
      'GetJob',
      async (request: wire.GetJobRequest__Output, call) => {
        if (request.includeEnv && ctx.caller(call).role !== 'admin') {
          throw new PermissionDeniedError(
            `token "${ctx.caller(call).name}" may not read env values (they may be secrets); only admin tokens may`,
          );
        }
        const view = await cluster.getJobView(checkJobId(request.id), request.includeOutput);
        return fitOutput(forClient(ctx, view) as JobView, undefined, request.includeEnv);
      },
      onInternalError,
    ),

    ListJobs: unary(
      'ListJobs',
      async (request: wire.ListJobsRequest__Output) => {
        const states = parseStates(request.states);
        const paging = parsePaging(request.pageSize, request.pageToken);
        const page = request.idFragment
          ? await cluster.findJobsByIdFragment(
              checkIdFragment(request.idFragment, 'id_fragment'),
              states,
              paging.pageSize,
            )
          : await cluster.listJobs({ states, ...paging });
        const { jobs, nextPageToken } = fitPage(
          page,
          page.jobs.map((job) => jobToWire(forClient(ctx, job))),
        );
        return { jobs, nextPageToken, totalCount: page.totalCount };
      },
      onInternalError,
    ),

    CancelJob: unary(
      'CancelJob',
      async (request: wire.CancelJobRequest__Output, call) => {
        return jobToWire(await cluster.cancel(checkJobId(request.id), ctx.caller(call).name));
      },
      onInternalError,
    ),

    WatchJob: serverStream(
      'WatchJob',
      (call: grpc.ServerWritableStream<wire.WatchJobRequest__Output, wire.JobEvent>) => {
        const { request } = call;
        const watch = {
          jobId: checkJobId(request.id),
          fromOffset: num(request.fromOffset),
          follow: request.follow,
          noOutput: request.noOutput,
        };
        return watchJob(cluster, watch, watchSink(ctx, call));
      },
      onInternalError,
    ),

    WatchJobs: serverStream(
      'WatchJobs',
      (call: grpc.ServerWritableStream<wire.WatchJobsRequest__Output, wire.JobEvent>) => {
        const { ids, finalOnly, brief } = call.request;
        return watchJobs(cluster, { jobIds: ids, finalOnly }, watchSink(ctx, call, brief));
      },
      onInternalError,
    ),

    RunJob: serverStream(
      'RunJob',
      async (call: grpc.ServerWritableStream<wire.RunJobRequest__Output, wire.RunJobEvent>) => {
        const { request } = call;
        const [result] = await cluster.submit([specFromWire(request.spec)], ctx.caller(call));
        if (!result) throw new Error('submit returned no job');
        call.write({ submitted: { job: jobToWire(forClient(ctx, result.job)), existing: result.existing } });
        const watch = {
          jobId: result.job.id,
          fromOffset: 0,
          follow: true,
          noOutput: request.noOutput,
          finalOnly: request.finalOnly,
          sentState: result.job.state,
          sentAttempts: result.job.attempts,
        };
        await watchJob(cluster, watch, watchSink(ctx, call));
      },
      onInternalError,
    ),
  };
}

/**
 * Where a watch writes: job and output events on a server stream (JobEvent
 * and RunJobEvent share those fields); `brief` leaves out specs and attempt history.
 */
function watchSink(
  ctx: ApiContext,
  call: grpc.ServerWritableStream<unknown, wire.JobEvent | wire.RunJobEvent>,
  brief = false,
): WatchSink {
  return {
    job: (job) => call.write({ job: jobToWire(forClient(ctx, job), brief) }),
    output: (chunk) => call.write({ output: chunkToWire(chunk) }),
    end: () => call.end(),
    // A client may go away before the watch starts (RunJob waits for the submit to be durable first).
    onClose: (stop) => (call.cancelled ? stop() : call.on('cancelled', stop)),
  };
}

/** How long a heartbeat or registration answer waits for its acknowledged results to be durable. */
export const ACK_DURABLE_WAIT_MS = 1000;

/**
 * Acknowledged results must be durable before the worker forgets them. When
 * they are not within ACK_DURABLE_WAIT_MS (the store's database is away), the
 * answer goes without acks: the worker keeps the results and reports them
 * again, and the master acknowledges them then. Waiting instead would hold up
 * the heartbeats queued behind this one, and the node would look silent.
 */
async function durableAcks<T>(store: Store, ack: T[]): Promise<T[]> {
  if (ack.length === 0) return ack;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ACK_DURABLE_WAIT_MS);
  });
  try {
    return (await Promise.race([store.flush().then(() => true), late])) ? ack : [];
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A call about a node must come from the node's own worker (its node secret)
 * or, where `adminMay`, from an admin. A node the master does not know needs
 * no proof: there is nothing of it to act on.
 */
function checkOwnNode(
  ctx: ApiContext,
  caller: Caller,
  nodeId: string,
  secret: string,
  what: string,
  adminMay: boolean,
): void {
  if (adminMay && caller.role === 'admin') return;
  if (!ctx.cluster.registry.get(nodeId)) return;
  if (ctx.claims.verify(nodeId, secret)) return;
  throw new PermissionDeniedError(
    adminMay
      ? `token "${caller.name}" may ${what} node ${nodeId} only with its node secret (a worker acts on its own node); use an admin token`
      : `${what} for node ${nodeId} without its node secret: only the worker that registered it may`,
  );
}

/** NodeService, and the heartbeat streams it keeps open (the master ends them when it stops). */
export function nodeService(ctx: ApiContext): { handlers: NodeServiceHandlers; heartbeats: HeartbeatStreams } {
  const log = ctx.logger.child({ component: 'api' });
  const onInternalError = (error: unknown, method: string): void => log.error({ err: error, method }, 'request failed');
  const { nodes, store } = ctx;
  const answerHeartbeat = async (request: wire.HeartbeatRequest__Output): Promise<wire.HeartbeatResponse> => {
    const nodeId = checkNodeId(request.nodeId);
    // Only the node's own worker may speak for it; heartbeats carry its attempts' fate.
    if (ctx.cluster.registry.get(nodeId) && !ctx.claims.verify(nodeId, request.nodeSecret)) {
      throw new PermissionDeniedError(
        `heartbeat for node ${nodeId} without its node secret: only the worker that registered it may send them`,
      );
    }
    const result = nodes.heartbeat(nodeId, attemptReportsFromWire(request.attempts), request.draining);
    const masterEpoch = ctx.epoch;
    if (!result) return { reregister: true, ack: [], kill: [], draining: false, masterEpoch };
    const ack = await durableAcks(store, result.ack);
    return { reregister: false, ack, kill: result.kill, draining: result.draining, masterEpoch };
  };
  const heartbeats = new HeartbeatStreams(answerHeartbeat, onInternalError);

  const handlers: NodeServiceHandlers = {
    Register: unary(
      'Register',
      async (request: wire.RegisterRequest__Output, call) => {
        const caller = ctx.caller(call);
        const registration = checkRegistration({
          id: request.nodeId,
          address: request.address,
          capabilities: request.capabilities,
          maxTasks: request.maxTasks,
          labels: request.labels,
          cpus: request.cpus,
          memoryBytes: num(request.memoryBytes),
          weight: request.weight,
          version: request.version,
          draining: request.draining,
          executionSecret: request.executionSecret,
          tokenName: caller.name,
        });
        // Before anything changes: another worker's live node is not taken over.
        const issued = ctx.claims.admit(registration.id, request.nodeSecret, caller.name);
        const result = nodes.register(registration, attemptReportsFromWire(request.attempts));
        // A new claim is kept before it is answered; acknowledged results wait for durability at most a while.
        if (issued) await store.flush();
        const ack = await durableAcks(store, result.ack);
        return {
          heartbeatIntervalMs: nodes.heartbeatIntervalMs,
          rescheduleAfterMs: nodes.rescheduleAfterMs,
          heartbeatTimeoutMs: nodes.heartbeatTimeoutMs,
          ack,
          kill: result.kill,
          masterId: ctx.masterId,
          nodeSecret: issued,
          masterEpoch: ctx.epoch,
        };
      },
      onInternalError,
    ),

    Heartbeat: unary('Heartbeat', answerHeartbeat, onInternalError),

    Heartbeats: heartbeats.handle,

    Deregister: unary(
      'Deregister',
      async (request: wire.DeregisterRequest__Output, call) => {
        const nodeId = checkNodeId(request.nodeId);
        checkOwnNode(ctx, ctx.caller(call), nodeId, request.nodeSecret, 'deregister', true);
        nodes.deregister(nodeId);
        // The worker left: its id is free for the next one.
        ctx.claims.release(nodeId);
        await store.flush();
        return {};
      },
      onInternalError,
    ),

    ListNodes: unary('ListNodes', () => ({ nodes: nodes.list().map(nodeToWire) }), onInternalError),

    DrainNode: unary(
      'DrainNode',
      (request: wire.DrainNodeRequest__Output, call) => {
        const nodeId = checkNodeId(request.nodeId);
        checkOwnNode(ctx, ctx.caller(call), nodeId, request.nodeSecret, 'drain', true);
        return nodeToWire(nodes.drain(nodeId, request.deadlineMs));
      },
      onInternalError,
    ),

    UndrainNode: unary(
      'UndrainNode',
      (request: wire.UndrainNodeRequest__Output, call) => {
        const nodeId = checkNodeId(request.nodeId);
        checkOwnNode(ctx, ctx.caller(call), nodeId, request.nodeSecret, 'undrain', true);
        return nodeToWire(nodes.undrain(nodeId));
      },
      onInternalError,
    ),

    GetCluster: unary('GetCluster', async () => clusterToWire(await ctx.snapshot()), onInternalError),
  };
  return { handlers, heartbeats };
}

export const SERVICE_NAMES = ['distexec.v1.JobService', 'distexec.v1.NodeService', 'distexec.v1.TokenService'];

/** Adds the API; answers the heartbeat streams, which the master ends before its server's graceful shutdown. */
export function addApiServices(server: grpc.Server, ctx: ApiContext): HeartbeatStreams {
  server.addService(v1.JobService.service, jobServiceHandlers(ctx));
  const { handlers, heartbeats } = nodeService(ctx);
  server.addService(v1.NodeService.service, handlers);
  return heartbeats;
}
