import {
  jobToJson,
  nodeToJson,
  type Job,
  type JobSpecInput,
  type JobView,
  type NodeInfo,
  type OutputStreamName,
} from '@dist-exec/core';
import type { JobCommands } from '../jobs/job-commands.js';
import { parseStateList } from './query.js';
import { queryBoolean, queryInteger, readJson, sendJson } from './io.js';
import { specFromJson } from './job-json.js';
import { streamLogsAsEvents, streamLogsAsText, type LogRequest } from './log-stream.js';
import type { Router } from './router.js';
import { wantsEventStream } from './sse.js';
import { HttpError } from './errors.js';

export interface ApiRoutesContext {
  /** Submit, read, list, cancel and watch jobs (the same commands as the gRPC API). */
  jobs: JobCommands;
  /** The nodes now. */
  nodes(): NodeInfo[];
}

/**
 * The JSON mirror of the gRPC API under /api/v1. Jobs and nodes are printed
 * exactly as the CLI's `--json` prints them (`jobToJson`, `nodeToJson`).
 */
export function addApiRoutes(router: Router, ctx: ApiRoutesContext): void {
  const { jobs } = ctx;
  const toJson = (job: Job | JobView, env = false) =>
    jobToJson(jobs.view('stdout' in job ? job : { ...job, stdout: null, stderr: null }), { env });

  router.add('POST', '/api/v1/jobs', async ({ req, res, caller }) => {
    const body = await readJson(req);
    if (Array.isArray(body)) {
      jobs.checkBatch(body.length);
      const specs: JobSpecInput[] = body.map((item, i) => specFromJson(item, `[${i}]`));
      const results = await jobs.submitMany(specs, caller);
      sendJson(
        res,
        201,
        results.map((r) => toJson(r.job)),
      );
      return;
    }
    const result = await jobs.submitOne(specFromJson(body), caller);
    // An idempotency key that matched an earlier job: 200 with that job, not 201.
    sendJson(res, result.existing ? 200 : 201, toJson(result.job), { location: `/api/v1/jobs/${result.job.id}` });
  });

  router.add('GET', '/api/v1/jobs', async ({ res, url }) => {
    const page = await jobs.list({
      states: parseStateList(url.searchParams.get('state')),
      pageSize: queryInteger(url.searchParams, 'limit', 1, 1000) ?? 0,
      pageToken: url.searchParams.get('pageToken') ?? '',
      // ?id=7f3a: jobs whose id starts or ends with it (a short id), from the stores' indexes.
      idFragment: url.searchParams.get('id') ?? '',
      fragmentField: 'id',
    });
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
    sendJson(res, 200, toJson(await jobs.get(params.id ?? '', { output, env }, caller), env));
  });

  router.add('POST', '/api/v1/jobs/:id/cancel', async ({ req, res, params, caller }) => {
    req.resume();
    sendJson(res, 200, toJson(await jobs.cancel(params.id ?? '', caller)));
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
      jobId: params.id ?? '',
      fromOffset: queryInteger(query, 'offset', 0, Number.MAX_SAFE_INTEGER) ?? 0,
      follow: queryBoolean(query, 'follow'),
      stream: stream as OutputStreamName | null,
    };
    // Before any header goes out, so an unknown job is a plain 404.
    await jobs.exists(request.jobId);
    if (wantsEventStream(req.headers.accept, format)) await streamLogsAsEvents(jobs, request, res);
    else await streamLogsAsText(jobs, request, res);
  });

  router.add('GET', '/api/v1/nodes', ({ res }) => sendJson(res, 200, ctx.nodes().map(nodeToJson)));
}
