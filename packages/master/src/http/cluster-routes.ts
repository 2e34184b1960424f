import { errorMessage, isoTime, jobToJson, type ClusterSnapshot, type JobState } from '@dist-exec/core';
import type { JobCommands } from '../jobs/job-commands.js';
import { queryInteger, readJson, sendJson } from './io.js';
import { checkFields, isObject } from './job-json.js';
import type { Router } from './router.js';

/** nomad-lite's job statuses: lower case. */
const STATUS: Record<JobState, string> = {
  PENDING: 'pending',
  RUNNING: 'running',
  COMPLETED: 'completed',
  FAILED: 'failed',
  CANCELLED: 'cancelled',
};

const DEFAULT_LIST = 50;
const MAX_LIST = 200;

export interface ClusterRoutesContext {
  /** Seed 004's routes list jobs, read one and submit one. */
  jobs: Pick<JobCommands, 'list' | 'get' | 'submitOne'>;
  /** This master's id. */
  masterId: string;
  snapshot(): Promise<ClusterSnapshot>;
}

/**
 * The REST routes of seed 004's dashboard, in nomad-lite's shapes:
 * `GET /api/cluster` (`node_id`, `role`, `current_term` as the lease epoch,
 * `leader_id`, and ours), `GET /api/jobs` and `POST /api/jobs {"command"}`
 * answering `{"success", "job_id", "error"}`. Where nomad-lite answers "Not
 * the leader", any master accepts a job here: a follower forwards the request
 * to the leader. Behind the same tokens as the rest of the HTTP API.
 */
export function addClusterRoutes(router: Router, ctx: ClusterRoutesContext): void {
  router.add('GET', '/api/cluster', async ({ res }) => {
    const snapshot = await ctx.snapshot();
    const masters = snapshot.masters ?? [];
    const leader = masters.find((m) => m.leader);
    const self = masters.find((m) => m.id === ctx.masterId);
    sendJson(res, 200, {
      node_id: ctx.masterId,
      // The master answering is the leader: followers forward /api/* to it.
      role: !self || self.leader ? 'leader' : 'follower',
      current_term: leader?.epoch ?? 0,
      leader_id: leader?.id ?? ctx.masterId,
      leader_address: leader?.address ?? null,
      leader_since: leader ? isoTime(leader.leaderSinceMs) : null,
      lease_age_ms: leader?.leaseAgeMs ?? null,
      masters: masters.map((m) => ({
        id: m.id,
        address: m.address,
        role: m.leader ? 'leader' : 'follower',
        epoch: m.epoch,
        lease_age_ms: m.leaseAgeMs,
      })),
      jobs: snapshot.jobs,
      nodes: snapshot.nodes.map((n) => ({ id: n.id, state: n.state, active_tasks: n.activeTasks })),
    });
  });

  router.add('GET', '/api/jobs', async ({ res, url, caller }) => {
    const limit = queryInteger(url.searchParams, 'limit', 1, MAX_LIST) ?? DEFAULT_LIST;
    const page = await ctx.jobs.list({ states: [], pageSize: limit, pageToken: '' });
    const jobs = await Promise.all(
      page.jobs.map(async (job) => {
        const view = jobToJson(
          await ctx.jobs
            .get(job.id, { output: true, env: false }, caller)
            .catch(() => ({ ...job, stdout: null, stderr: null })),
        );
        return {
          id: view.id,
          command: view.command,
          status: STATUS[job.state],
          executed_by: view.workerId,
          output: view.stdout,
          error: view.error ?? (view.stderr || null),
          created_at: view.createdAt,
          completed_at: view.finishedAt,
        };
      }),
    );
    sendJson(res, 200, jobs);
  });

  router.add('POST', '/api/jobs', async ({ req, res, caller }) => {
    let body: unknown;
    try {
      body = await readJson(req);
      if (!isObject(body)) throw new Error('send a JSON object such as {"command": "uname -a"}');
      checkFields('', body, ['command']);
      if (typeof body.command !== 'string') throw new Error('command: must be a string such as "uname -a"');
      // The caller's token rules and quotas apply, as on every other door.
      const result = await ctx.jobs.submitOne({ command: body.command }, caller);
      sendJson(res, 200, { success: true, job_id: result.job.id, error: null });
    } catch (error) {
      const unavailable = (error as { code?: string }).code === 'UNAVAILABLE';
      sendJson(res, unavailable ? 503 : 400, { success: false, job_id: null, error: errorMessage(error) });
    }
  });
}
