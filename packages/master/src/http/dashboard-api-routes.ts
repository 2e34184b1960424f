import {
  checkIdFragment,
  checkJobId,
  InvalidArgumentError,
  jobToJson,
  nodeToJson,
  NotFoundError,
  PermissionDeniedError,
  type Job,
  type JobSpecInput,
} from '@dist-exec/core';
import type { ActivitySeries } from '../activity-series.js';
import type { Submitter } from '../jobs/job-admission.js';
import type { SubmitResult } from '../jobs/job-intake.js';
import type { NodeManager } from '../nodes/node-manager.js';
import { jobMatches, searchJobs, type JobSearch } from '../store/job-search.js';
import type { Store } from '../store/store.js';
import { queryInteger, sendJson } from './io.js';
import { parseStateList } from './query.js';
import type { Router } from './router.js';

/** Matches a search returns at most; and how many jobs it looks at (a bounded scan: see store/job-search.ts). */
const MAX_SEARCH_PAGE = 1000;
const DEFAULT_SEARCH_PAGE = 50;
const SEARCH_SCAN = 5_000;
/** A node page's recent failures: how many, and how far back the scan for them looks. */
const NODE_FAILURES = 10;
const NODE_FAILURE_SCAN = 2_000;

/** The narrow ports these routes use, wired by routes.ts. */
export interface DashboardApiContext {
  jobs: {
    /** The job (NotFoundError when there is none). */
    get(id: string): Promise<Job>;
    /** As any submit: admission, the caller's token rules and quotas. */
    submit(inputs: readonly JobSpecInput[], by: Submitter): Promise<SubmitResult[]>;
    /** PENDING and RUNNING jobs, from memory. */
    active(): Iterable<Job>;
  };
  nodes: Pick<NodeManager, 'list' | 'drain' | 'undrain'>;
  store: Pick<Store, 'listJobs' | 'findJobsByIdFragment'>;
  activity: Pick<ActivitySeries, 'toJson'>;
  /** Adds what is derived when read (why a pending job waits). */
  view<T extends Job>(job: T): T;
}

/**
 * What the dashboard reads beyond the gRPC mirror in api-routes.ts: the
 * 15-minute activity series, job search (by id piece, command words, label,
 * node), a node with its jobs, drain and undrain, and re-running a job.
 * Behind the same tokens as the rest of /api/v1 (see access.ts).
 */
export function addDashboardApiRoutes(router: Router, ctx: DashboardApiContext): void {
  const { jobs, nodes, store, view } = ctx;
  const toJson = (job: Job) => jobToJson(view({ ...job, stdout: null, stderr: null }));

  router.add('GET', '/api/v1/activity', ({ res }) => sendJson(res, 200, ctx.activity.toJson()));

  router.add('GET', '/api/v1/search', async ({ res, url }) => {
    const search = parseSearch(url.searchParams);
    // Text that can be part of an id is looked up in the id indexes too (first page only), ahead of the scan.
    const fragment = search.pageToken ? '' : idFragment(search.text);
    const byId = fragment ? await store.findJobsByIdFragment(fragment, search.pageSize) : [];
    const idMatches = byId.filter(
      (job) =>
        (search.states.length === 0 || search.states.includes(job.state)) && jobMatches(job, { ...search, text: '' }),
    );
    const scan = await searchJobs(store, search);
    const seen = new Set(idMatches.map((job) => job.id));
    const found = [...idMatches, ...scan.jobs.filter((job) => !seen.has(job.id))];
    sendJson(res, 200, {
      jobs: found.map(toJson),
      nextPageToken: scan.nextPageToken || null,
      scanned: scan.scanned,
      truncated: scan.truncated,
    });
  });

  // What a search finds, counted by state (an array's row: "180 done, 2 failed, 18 running"), without the jobs.
  router.add('GET', '/api/v1/search/summary', async ({ res, url }) => {
    const search = parseSearch(url.searchParams);
    const rangeLabel = url.searchParams.get('range') ?? '';
    const scan = await searchJobs(store, { ...search, pageSize: SEARCH_SCAN, pageToken: '' });
    const counts: Record<string, number> = {};
    let min = Infinity;
    let max = -Infinity;
    for (const job of scan.jobs) {
      counts[job.state] = (counts[job.state] ?? 0) + 1;
      const value = rangeLabel ? Number(job.spec.labels[rangeLabel]) : NaN;
      if (Number.isFinite(value)) [min, max] = [Math.min(min, value), Math.max(max, value)];
    }
    sendJson(res, 200, {
      total: scan.jobs.length,
      counts,
      range: min <= max ? { min, max } : null,
      scanned: scan.scanned,
      truncated: scan.truncated || scan.nextPageToken !== '',
    });
  });

  router.add('GET', '/api/v1/nodes/:id', async ({ res, params }) => {
    const id = params.id ?? '';
    const node = nodes.list().find((n) => n.id === id);
    if (!node) throw new NotFoundError(`node ${id} not found; the dashboard's node list shows the nodes`);
    const running = [...jobs.active()].filter((job) => job.state === 'RUNNING' && job.workerId === id);
    const failures = await searchJobs(store, {
      states: ['FAILED'],
      text: '',
      labels: {},
      nodeId: id,
      pageSize: NODE_FAILURES,
      pageToken: '',
      maxScanned: NODE_FAILURE_SCAN,
    });
    sendJson(res, 200, {
      node: nodeToJson(node),
      running: running.map(toJson),
      recentFailures: failures.jobs.map(toJson),
      failuresScanned: failures.scanned,
    });
  });

  router.add('POST', '/api/v1/nodes/:id/drain', ({ req, res, params }) => {
    req.resume();
    // No deadline: running jobs finish; nothing new is placed there.
    sendJson(res, 200, nodeToJson(nodes.drain(params.id ?? '', 0)));
  });

  router.add('POST', '/api/v1/nodes/:id/undrain', ({ req, res, params }) => {
    req.resume();
    sendJson(res, 200, nodeToJson(nodes.undrain(params.id ?? '')));
  });

  router.add('POST', '/api/v1/jobs/:id/rerun', async ({ req, res, params, caller }) => {
    req.resume();
    const job = await jobs.get(checkJobId(params.id ?? ''));
    // The spec carries the submitter's env values (secrets, often): only that token or an admin runs it again.
    if (caller.role !== 'admin' && job.submittedBy !== caller.name)
      throw new PermissionDeniedError(
        `job ${job.id} was submitted by token "${job.submittedBy}": only that token or an admin token may run it again`,
      );
    // The same spec (env values included: they never leave the master), as a new job; a key would find the old one.
    const [result] = await jobs.submit([{ ...job.spec, idempotencyKey: '' }], caller);
    if (!result) throw new Error('submit returned no job');
    sendJson(res, 201, toJson(result.job), { location: `/api/v1/jobs/${result.job.id}` });
  });
}

/** The query of a search (`q`, `label`, `node`, `state`, `limit`, `pageToken`), checked, with errors naming the parameter. */
function parseSearch(query: URLSearchParams): JobSearch {
  const text = (query.get('q') ?? '').trim();
  if (text.length > 200) throw new InvalidArgumentError('q: at most 200 characters', { field: 'q' });
  const pageToken = query.get('pageToken') ?? '';
  if (pageToken && !/^\d+$/.test(pageToken))
    throw new InvalidArgumentError('pageToken: pass back the nextPageToken of the previous page', {
      field: 'pageToken',
    });
  return {
    states: parseStateList(query.get('state')),
    text,
    labels: parseLabels(query.getAll('label')),
    nodeId: query.get('node') ?? '',
    pageSize: queryInteger(query, 'limit', 1, MAX_SEARCH_PAGE) ?? DEFAULT_SEARCH_PAGE,
    pageToken,
    maxScanned: SEARCH_SCAN,
  };
}

/** `label=k=v` (repeatable) → labels; an error naming the parameter otherwise. */
function parseLabels(values: readonly string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const value of values) {
    const eq = value.indexOf('=');
    if (eq <= 0)
      throw new InvalidArgumentError(`label: "${value.slice(0, 80)}" is not key=value, such as team=web`, {
        field: 'label',
      });
    labels[value.slice(0, eq)] = value.slice(eq + 1);
  }
  return labels;
}

/** The text as a piece of a job id, or '' when it cannot be one. */
function idFragment(text: string): string {
  try {
    return checkIdFragment(text, 'q');
  } catch {
    return '';
  }
}
