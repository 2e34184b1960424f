import {
  checkJobId,
  checkIdFragment,
  InvalidArgumentError,
  jobToJson,
  PermissionDeniedError,
  nodeToJson,
  type Job,
  type JobSpecInput,
  type JobView,
  type OutputStreamName,
} from '@dist-exec/core';
import type { ClusterState } from '../cluster-state.js';
import type { NodeManager } from '../nodes/node-manager.js';
import { MAX_BULK_SUBMIT, parsePaging } from '../api.js';
import { parseStateList } from './query.js';
import { queryBoolean, queryInteger, readJson, sendJson } from './io.js';
import { specFromJson } from './job-json.js';
import { streamLogsAsEvents, streamLogsAsText, type LogRequest } from './log-stream.js';
import type { Router } from './router.js';
import { wantsEventStream } from './sse.js';
import { HttpError } from './errors.js';

export interface ApiRoutesContext {
  cluster: ClusterState;
  nodes: NodeManager;
  /** Adds what is derived when read (why a pending job waits). */
  view<T extends Job>(job: T): T;
}

/**
 * The JSON mirror of the gRPC API under /api/v1. Jobs and nodes are printed
 * exactly as the CLI's `--json` prints them (`jobToJson`, `nodeToJson`).
 */
export function addApiRoutes(router: Router, ctx: ApiRoutesContext): void {
  const { cluster, view } = ctx;
  const toJson = (job: Job | JobView, env = false) =>
    jobToJson(view('stdout' in job ? job : { ...job, stdout: null, stderr: null }), { env });

  router.add('POST', '/api/v1/jobs', async ({ req, res, caller }) => {
    const body = await readJson(req);
    if (Array.isArray(body)) {
      if (body.length === 0) throw new InvalidArgumentError('give at least one job spec', { field: 'specs' });
      if (body.length > MAX_BULK_SUBMIT)
        throw new InvalidArgumentError(`${body.length} jobs in one call; at most ${MAX_BULK_SUBMIT} are allowed`, {
          field: 'specs',
        });
      const specs: JobSpecInput[] = body.map((item, i) => specFromJson(item, `[${i}]`));
      const results = await cluster.submit(specs, caller);
      sendJson(
        res,
        201,
        results.map((r) => toJson(r.job)),
      );
      return;
    }
    const [result] = await cluster.submit([specFromJson(body)], caller);
    if (!result) throw new Error('submit returned no job');
    // An idempotency key that matched an earlier job: 200 with that job, not 201.
    sendJson(res, result.existing ? 200 : 201, toJson(result.job), { location: `/api/v1/jobs/${result.job.id}` });
  });

  router.add('GET', '/api/v1/jobs', async ({ res, url }) => {
    const states = parseStateList(url.searchParams.get('state'));
    const limit = queryInteger(url.searchParams, 'limit', 1, 1000) ?? 0;
    const paging = parsePaging(limit, url.searchParams.get('pageToken') ?? '');
    // ?id=7f3a: jobs whose id starts or ends with it (a short id), from the stores' indexes.
    const fragment = url.searchParams.get('id');
    const page = fragment
      ? await cluster.findJobsByIdFragment(checkIdFragment(fragment, 'id'), states, paging.pageSize)
      : await cluster.listJobs({ states, ...paging });
    sendJson(res, 200, {
      jobs: page.jobs.map((job) => toJson(job)),
      nextPageToken: page.nextPageToken || null,
      totalCount: page.totalCount,
    });
  });

  router.add('GET', '/api/v1/jobs/:id', async ({ res, params, url, caller }) => {
    const output = url.searchParams.has('output') ? queryBoolean(url.searchParams, 'output') : true;
    // Env values may be secrets: names only, unless an admin asks (?env=true).
    const env = queryBoolean(url.searchParams, 'env');
    if (env && caller.role !== 'admin')
      throw new PermissionDeniedError(
        `token "${caller.name}" may not read env values (they may be secrets); only admin tokens may`,
      );
    sendJson(res, 200, toJson(await cluster.getJobView(checkJobId(params.id ?? ''), output), env));
  });

  router.add('POST', '/api/v1/jobs/:id/cancel', async ({ req, res, params, caller }) => {
    req.resume();
    sendJson(res, 200, toJson(await cluster.cancel(checkJobId(params.id ?? ''), caller.name)));
  });

  router.add('GET', '/api/v1/jobs/:id/logs', async ({ req, res, params, url }) => {
    const query = url.searchParams;
    const stream = query.get('stream');
    if (stream !== null && stream !== 'stdout' && stream !== 'stderr') {
      throw new HttpError(400, 'INVALID_ARGUMENT', `stream: "${stream}" is not stdout or stderr`);
    }
    const format = query.get('format');
    if (format !== null && format !== 'text' && format !== 'sse')
      throw new HttpError(400, 'INVALID_ARGUMENT', `format: "${format}" is not text or sse`);
    const request: LogRequest = {
      jobId: checkJobId(params.id ?? ''),
      fromOffset: queryInteger(query, 'offset', 0, Number.MAX_SAFE_INTEGER) ?? 0,
      follow: queryBoolean(query, 'follow'),
      stream: stream as OutputStreamName | null,
    };
    // Before any header goes out, so an unknown job is a plain 404.
    await cluster.getJob(request.jobId);
    if (wantsEventStream(req.headers.accept, format)) await streamLogsAsEvents(cluster, request, res, view);
    else await streamLogsAsText(cluster, request, res);
  });

  router.add('GET', '/api/v1/nodes', ({ res }) => sendJson(res, 200, ctx.nodes.list().map(nodeToJson)));
}
