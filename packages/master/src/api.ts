import type * as grpc from '@grpc/grpc-js';
import {
  checkNodeId,
  InvalidArgumentError,
  PermissionDeniedError,
  JOB_STATES,
  type JobState,
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
import { checkRegistration, taskConfigsFromWire } from './nodes/registration.js';
import { HeartbeatStreams } from './nodes/heartbeat-streams.js';
import type { Store } from './store/store.js';
import type { JobCommands } from './jobs/job-commands.js';
import type { WatchSink } from './jobs/watch.js';

export interface ApiContext {
  /** What JobService does: the commands both doors share. */
  jobs: JobCommands;
  cluster: ClusterState;
  nodes: NodeManager;
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

export function jobServiceHandlers(ctx: ApiContext): JobServiceHandlers {
  const log = ctx.logger.child({ component: 'api' });
  const onInternalError = (error: unknown, method: string): void => log.error({ err: error, method }, 'request failed');
  const { jobs } = ctx;

  return {
    SubmitJob: unary(
      'SubmitJob',
      async (request: wire.SubmitJobRequest__Output, call) => {
        const result = await jobs.submitOne(specFromWire(request.spec), ctx.caller(call));
        return { job: jobToWire(result.job), existing: result.existing };
      },
      onInternalError,
    ),

    SubmitJobs: unary(
      'SubmitJobs',
      async (request: wire.SubmitJobsRequest__Output, call) => {
        jobs.checkBatch(request.specs.length);
        if (!request.idsOnly) checkWholeJobsAnswer(encodedBytes(request), request.specs.length);
        const results = await jobs.submitMany(request.specs.map(specFromWire), ctx.caller(call));
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
        const options = { output: request.includeOutput, env: request.includeEnv };
        return fitOutput(await jobs.get(request.id, options, ctx.caller(call)), undefined, request.includeEnv);
      },
      onInternalError,
    ),

    ListJobs: unary(
      'ListJobs',
      async (request: wire.ListJobsRequest__Output) => {
        const page = await jobs.list({
          states: parseStates(request.states),
          pageSize: request.pageSize,
          pageToken: request.pageToken,
          idFragment: request.idFragment,
          fragmentField: 'id_fragment',
        });
        const { jobs: fitted, nextPageToken } = fitPage(
          page,
          page.jobs.map((job) => jobToWire(job)),
        );
        return { jobs: fitted, nextPageToken, totalCount: page.totalCount };
      },
      onInternalError,
    ),

    CancelJob: unary(
      'CancelJob',
      async (request: wire.CancelJobRequest__Output, call) =>
        jobToWire(await jobs.cancel(request.id, ctx.caller(call))),
      onInternalError,
    ),

    WatchJob: serverStream(
      'WatchJob',
      (call: grpc.ServerWritableStream<wire.WatchJobRequest__Output, wire.JobEvent>) => {
        const { request } = call;
        const watch = {
          jobId: request.id,
          fromOffset: num(request.fromOffset),
          follow: request.follow,
          noOutput: request.noOutput,
        };
        return jobs.watch(watch, watchSink(call));
      },
      onInternalError,
    ),

    WatchJobs: serverStream(
      'WatchJobs',
      (call: grpc.ServerWritableStream<wire.WatchJobsRequest__Output, wire.JobEvent>) => {
        const { ids, finalOnly, brief } = call.request;
        return jobs.watchMany({ jobIds: ids, finalOnly }, watchSink(call, brief));
      },
      onInternalError,
    ),

    RunJob: serverStream(
      'RunJob',
      async (call: grpc.ServerWritableStream<wire.RunJobRequest__Output, wire.RunJobEvent>) => {
        const { request } = call;
        const result = await jobs.submitOne(specFromWire(request.spec), ctx.caller(call));
        call.write({ submitted: { job: jobToWire(result.job), existing: result.existing } });
        const watch = {
          jobId: result.job.id,
          fromOffset: 0,
          follow: true,
          noOutput: request.noOutput,
          finalOnly: request.finalOnly,
          sentState: result.job.state,
          sentAttempts: result.job.attempts,
        };
        await jobs.watch(watch, watchSink(call));
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
  call: grpc.ServerWritableStream<unknown, wire.JobEvent | wire.RunJobEvent>,
  brief = false,
): WatchSink {
  return {
    job: (job) => call.write({ job: jobToWire(job, brief) }),
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
          taskConfigs: taskConfigsFromWire(request.taskConfigSchemas, request.capabilities),
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
