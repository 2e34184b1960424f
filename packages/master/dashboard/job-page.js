// A job's own page (`#/jobs/<id>`): its facts, labels, env names (never
// values: the master does not send them), attempts with node, times, reasons
// and peak memory / cpu time, live output with a note when it was cut, and
// cancel and re-run.

import { api, ApiError, eventStream } from './api.js';
import { $, badge, bytes, chips, duration, el, link, result, runtime, TERMINAL, timeEl } from './format.js';

const MAX_OUTPUT_CHARS = 2_000_000;

const page = { id: null, job: null, log: null };

export function shownJobId() {
  return page.id;
}

const FULL_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `#/jobs/7f3a1b2c`: a piece of an id (the end the list shows) that names one job opens that job. */
async function resolveShortId(id) {
  const page = await api(`/api/v1/jobs?id=${encodeURIComponent(id)}&limit=2`);
  if (page.jobs.length === 1) return page.jobs[0].id;
  throw new ApiError(
    page.jobs.length ? `${id} is the start or end of more than one job id; give more of it` : `job ${id} not found`,
    404,
  );
}

export async function openJob(id) {
  closeJob();
  if (!FULL_ID.test(id)) {
    page.id = id;
    try {
      const full = await resolveShortId(id);
      if (page.id === id) location.replace(`${location.search}#/jobs/${full}`);
    } catch (error) {
      if (page.id !== id) return;
      $('job-id').textContent = id;
      $('job-body').hidden = true;
      $('job-missing-text').textContent =
        `${error.message}. It may never have existed, or history clean-up removed it.`;
      $('job-missing').hidden = false;
    }
    return;
  }
  page.id = id;
  $('job-view').dataset.job = id;
  $('job-missing').hidden = true;
  $('job-body').hidden = true;
  $('job-error').hidden = true;
  $('output').replaceChildren();
  $('job-id').textContent = id;
  try {
    const job = await api(`/api/v1/jobs/${encodeURIComponent(id)}?output=false`);
    if (page.id !== id) return;
    $('job-body').hidden = false;
    renderJob(job);
    followLog(id, 0);
  } catch (error) {
    if (page.id !== id) return;
    if (error instanceof ApiError && (error.status === 404 || error.status === 400)) {
      $('job-missing-text').textContent =
        `${error.message}. It may never have existed, or history clean-up removed it.`;
      $('job-missing').hidden = false;
    } else showError(error);
  }
}

export function closeJob() {
  page.log?.close();
  page.log = null;
  page.id = null;
  page.job = null;
}

function showError(error) {
  $('job-error').textContent = error.message;
  $('job-error').hidden = false;
}

/** A job pushed by the feed or the log stream: shown if it is this page's. */
export function updateJob(job) {
  if (job.id === page.id) renderJob(job);
}

function renderJob(job) {
  page.job = job;
  $('job-state').replaceChildren(badge(job.state));
  $('job-command').textContent = job.command;
  $('cancel-button').hidden = TERMINAL.has(job.state);
  const facts = [
    ['Result', result(job) || (TERMINAL.has(job.state) ? job.state.toLowerCase() : '–')],
    ['Reason', job.reason],
    ['Error', job.error],
    ['Waiting', job.pendingReason],
    ['Node', job.workerId ? link(`#/nodes/${job.workerId}`, job.workerId) : null],
    ['Submitted by', job.submittedBy],
    ['Cancelled by', job.cancelledBy],
    ['Created', job.createdAt ? timeEl('span', job.createdAt) : null],
    ['Started', job.startedAt ? timeEl('span', job.startedAt) : null],
    ['Finished', job.finishedAt ? timeEl('span', job.finishedAt) : null],
    ['Runtime', job.startedAt ? runtime(job) : null],
    ['Attempts', job.maxRetries ? `${job.attempts} of at most ${job.maxRetries + 1}` : String(job.attempts)],
    ['Priority', String(job.priority)],
    ['Timeout', job.timeoutMs ? duration(job.timeoutMs) : 'none'],
    ['Cwd', job.cwd],
    ['User', job.user],
    ['Requests', requests(job)],
    ['Labels', Object.keys(job.labels ?? {}).length ? el('span', {}, ...chips(job.labels)) : null],
    // Names only: the values may be secrets, and the master does not send them.
    ['Env', job.envNames?.length ? job.envNames.join(', ') : null],
    ['Constraints', Object.keys(job.constraints ?? {}).length ? el('span', {}, ...chips(job.constraints)) : null],
  ];
  $('job-facts').replaceChildren(
    ...facts
      .filter(([, v]) => v)
      .flatMap(([k, v]) => [el('dt', { text: k }), typeof v === 'string' ? el('dd', { text: v }) : el('dd', {}, v)]),
  );
  renderAttempts(job);
  const cut = outputCut(job);
  $('output-cut').textContent = cut ?? '';
  $('output-cut').hidden = !cut;
}

function requests(job) {
  const parts = [];
  if (job.cpu) parts.push(`${job.cpu} cpu`);
  if (job.memoryBytes) parts.push(`${bytes(job.memoryBytes)} memory`);
  if (job.memoryLimitBytes) parts.push(`limit ${bytes(job.memoryLimitBytes)}`);
  return parts.join(', ') || null;
}

function outcome(a) {
  if (!a.finishedAt) return a.startedAt ? 'running' : 'starting';
  if (a.succeeded) return 'succeeded';
  const reason = a.reason === 'EXIT_CODE' && a.exitCode !== null ? `exit ${a.exitCode}` : a.reason;
  return `${reason}${a.error ? `: ${a.error}` : ''}`;
}

function renderAttempts(job) {
  const rows = job.attemptHistory.map((a) =>
    el(
      'tr',
      { 'data-attempt': String(a.attempt) },
      el('td', { class: 'num', text: String(a.attempt) }),
      el('td', { class: 'mono' }, link(`#/nodes/${a.nodeId}`, a.nodeId)),
      timeEl('td', a.dispatchedAt, { class: 'num' }),
      timeEl('td', a.startedAt, { class: 'num' }),
      timeEl('td', a.finishedAt, { class: 'num' }),
      el('td', { class: a.finishedAt && !a.succeeded ? 'bad' : undefined, text: outcome(a) }),
      el('td', { class: 'num', text: a.peakMemoryBytes ? bytes(a.peakMemoryBytes) : '–' }),
      el('td', { class: 'num', text: a.cpuTimeMs ? duration(a.cpuTimeMs) : '–' }),
    ),
  );
  $('attempts').tBodies[0].replaceChildren(...rows);
  $('attempts-empty').hidden = rows.length > 0;
}

/** What output over the limit lost from its middle (the head and the tail are kept, the log marks the cut). */
function outputCut(job) {
  const dropped = [
    ['stdout', job.stdoutDroppedBytes],
    ['stderr', job.stderrDroppedBytes],
  ].filter(([, n]) => n > 0);
  if (!dropped.length) return null;
  return `Output went over the master's limit: ${dropped.map(([stream, n]) => `${bytes(n)} of ${stream}`).join(' and ')} dropped from the middle. The head and the tail are kept; the log marks the cut.`;
}

/** Follows the job's output over server-sent events; reconnects from the last offset, so nothing repeats. */
function followLog(jobId, offset) {
  const log = { close: () => {}, next: offset, attempt: page.log?.attempt ?? 0, ended: false };
  page.log = log;
  $('output-status').textContent = 'following…';
  log.close = eventStream(
    `/api/v1/jobs/${encodeURIComponent(jobId)}/logs?follow=true&format=sse&offset=${offset}`,
    {
      job: (data) => updateJob(JSON.parse(data)),
      output: (data) => appendOutput(log, JSON.parse(data)),
      end: () => {
        log.ended = true;
        log.close();
        $('output-status').textContent = 'ended';
        if (!$('output').textContent) $('output').append(el('span', { class: 'sep', text: '(no output)' }));
      },
    },
    null,
    () => {
      if (log.ended || page.log !== log) return;
      $('output-status').textContent = 'reconnecting…';
      setTimeout(() => {
        if (page.log === log) followLog(jobId, log.next);
      }, 1000);
    },
  );
}

function appendOutput(log, chunk) {
  if (page.log !== log) return;
  const out = $('output');
  const atBottom = out.scrollHeight - out.scrollTop - out.clientHeight < 24;
  if (log.attempt && chunk.attempt !== log.attempt)
    out.append(el('span', { class: 'sep', text: `── attempt ${chunk.attempt} ──` }));
  log.attempt = chunk.attempt;
  log.next = chunk.next;
  out.append(el('span', { class: chunk.stream, text: chunk.text }));
  if (out.textContent.length > MAX_OUTPUT_CHARS) {
    while (out.firstChild && out.textContent.length > MAX_OUTPUT_CHARS * 0.8) out.firstChild.remove();
  }
  if (atBottom) out.scrollTop = out.scrollHeight;
}

async function act(button, call) {
  button.disabled = true;
  $('job-error').hidden = true;
  try {
    return await call();
  } catch (error) {
    showError(error);
    return null;
  } finally {
    button.disabled = false;
  }
}

export function setUpJobPage() {
  $('cancel-button').addEventListener('click', async () => {
    const id = page.id;
    const job = await act($('cancel-button'), () =>
      api(`/api/v1/jobs/${encodeURIComponent(id)}/cancel`, { method: 'POST' }),
    );
    if (job) updateJob(job);
  });
  $('rerun-button').addEventListener('click', async () => {
    const id = page.id;
    const job = await act($('rerun-button'), () =>
      api(`/api/v1/jobs/${encodeURIComponent(id)}/rerun`, { method: 'POST' }),
    );
    if (job) location.hash = `#/jobs/${job.id}`;
  });
}

/** Runtimes move on between pushes. */
export function tickJob() {
  if (page.job && page.job.state === 'RUNNING') renderJob(page.job);
}
