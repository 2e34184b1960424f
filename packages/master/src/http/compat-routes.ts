import { checkJobId, InvalidArgumentError, isoTime, NotFoundError, type JobState } from '@dist-exec/core';
import type { JobCommands } from '../jobs/job-commands.js';
import { readJson, sendJson } from './io.js';
import { checkFields, isObject } from './job-json.js';
import type { Router } from './router.js';

/** Seed 003's job states: lower case, "completed" for success. */
const STATUS: Record<JobState, string> = {
  PENDING: 'pending',
  RUNNING: 'running',
  COMPLETED: 'completed',
  FAILED: 'failed',
  CANCELLED: 'cancelled',
};

/** The largest `timeout` of seed 003's API, in seconds (the master's --max-timeout still applies). */
const MAX_TIMEOUT_SECONDS = 7 * 24 * 3600;

/**
 * The API of the platform in seed 003, as its README's curl lines use it:
 * `POST /jobs {"command", "timeout"}` and `GET /jobs/{id}`, with its field
 * names (snake_case, `status`, `runtime_ms`). The jobs are ordinary jobs:
 * they show in the CLI, /api/v1 and the dashboard.
 */
/** What seed 003's routes may do: submit a job and read one. */
export type CompatPort = Pick<JobCommands, 'submitOne' | 'get'>;

export function addCompatRoutes(router: Router, jobs: CompatPort): void {
  router.add('POST', '/jobs', async ({ req, res, caller }) => {
    const body = await readJson(req);
    if (!isObject(body))
      throw new InvalidArgumentError('send a JSON object such as {"command": "uname -a", "timeout": 30}');
    checkFields('', body, ['command', 'timeout']);
    if (typeof body.command !== 'string')
      throw new InvalidArgumentError('command: must be a string such as "uname -a"', { field: 'command' });
    let timeoutMs = 0;
    if (body.timeout !== undefined && body.timeout !== null) {
      if (typeof body.timeout !== 'number' || !(body.timeout > 0) || body.timeout > MAX_TIMEOUT_SECONDS) {
        throw new InvalidArgumentError(
          `timeout: must be a number of seconds above 0 and at most ${MAX_TIMEOUT_SECONDS}`,
          { field: 'timeout' },
        );
      }
      timeoutMs = Math.max(1, Math.round(body.timeout * 1000));
    }
    const { job } = await jobs.submitOne({ command: body.command, timeoutMs }, caller);
    sendJson(res, 200, { job_id: job.id, status: STATUS[job.state], created_at: isoTime(job.createdAtMs) });
  });

  router.add('GET', '/jobs/:id', async ({ res, params, caller }) => {
    const raw = params.id ?? '';
    let id: string;
    try {
      id = checkJobId(raw);
    } catch {
      throw new NotFoundError(`job ${raw} not found`);
    }
    const job = await jobs.get(id, { output: true, env: false }, caller);
    const decode = (bytes: Uint8Array | null): string =>
      bytes ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8') : '';
    sendJson(res, 200, {
      job_id: job.id,
      status: STATUS[job.state],
      exit_code: job.exitCode,
      stdout: decode(job.stdout),
      stderr: decode(job.stderr),
      runtime_ms: job.startedAtMs !== null && job.finishedAtMs !== null ? job.finishedAtMs - job.startedAtMs : null,
      created_at: isoTime(job.createdAtMs),
      error: job.error || null,
    });
  });
}
