// dist-exec dashboard: plain browser JavaScript, no build step, no dependencies.
// Everything from the master goes into the page as text (textContent), never as
// HTML, so a job's command or output can never inject markup or script.
'use strict';

const LIST_LIMIT = 100;
/** The token lives in this tab's sessionStorage only: never a cookie, so no other site can make the browser send it. */
const TOKEN_KEY = 'dist-exec.token';
const MAX_OUTPUT_CHARS = 2_000_000;
const TERMINAL = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);

const state = {
  jobs: new Map(), // id → job JSON, as `status --json` without output
  filter: '',
  selected: null, // job id shown in the detail panel
  cluster: null,
  clusterAt: 0, // Date.now() when the snapshot arrived, to age heartbeats locally
  log: null, // { close, next, jobId, attempt, ended }
  feed: null, // closes the live feed
  feedRetry: 0,
};

const $ = (id) => document.getElementById(id);

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null) continue;
    if (key === 'text') node.textContent = value;
    else if (key === 'class') node.className = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

// ---- formatting ----

function duration(ms) {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`;
  if (ms < 3_600_000) {
    const s = Math.floor((ms % 60_000) / 1000);
    return `${Math.floor(ms / 60_000)}m${s ? `${String(s).padStart(2, '0')}s` : ''}`;
  }
  const m = Math.floor((ms % 3_600_000) / 60_000);
  return `${Math.floor(ms / 3_600_000)}h${m ? `${String(m).padStart(2, '0')}m` : ''}`;
}

function ago(iso) {
  if (!iso) return '–';
  const ms = Date.now() - Date.parse(iso);
  return ms < 1500 ? 'just now' : `${duration(ms)} ago`;
}

function bytes(n) {
  if (!n) return '0';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i += 1;
  }
  return `${n >= 10 || i === 0 ? Math.round(n) : n.toFixed(1)} ${units[i]}`;
}

function runtime(job) {
  if (!job.startedAt) return '–';
  const end = job.finishedAt ? Date.parse(job.finishedAt) : Date.now();
  return duration(end - Date.parse(job.startedAt));
}

function shortId(id) {
  // UUIDv7: the first digits are the time, the last ones tell jobs apart.
  return `…${id.slice(-8)}`;
}

function result(job) {
  if (job.state === 'COMPLETED') return 'exit 0';
  if (job.state === 'FAILED')
    return job.reason === 'EXIT_CODE' && job.exitCode !== null ? `exit ${job.exitCode}` : job.reason;
  return '';
}

function badge(text, stateName = text) {
  return el('span', { class: 'badge', 'data-state': stateName, text });
}

function meter(used, total, id) {
  const pct = total > 0 ? Math.min(100, (used / total) * 100) : 0;
  const bar = id ? $(id) : el('span');
  bar.style.setProperty('--pct', `${pct}%`);
  bar.parentElement?.classList.toggle('hot', pct >= 90);
  if (id) return bar;
  const wrap = el('span', { class: pct >= 90 ? 'meter hot' : 'meter' }, bar);
  return wrap;
}

// ---- the token ----

function token() {
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

/**
 * `#token=…` in the address (the link `dist-exec up` prints) is taken into
 * this tab's storage and removed from the address bar at once. A fragment is
 * never sent to a server, so the token stays out of logs and Referer headers.
 */
function takeTokenFromUrl() {
  const match = /^#token=([^&]*)/.exec(location.hash);
  if (!match) return false;
  sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
  history.replaceState(null, '', `${location.pathname}${location.search}`);
  return true;
}

function authHeaders() {
  const t = token();
  return t ? { authorization: `Bearer ${t}` } : {};
}

class Unauthorized extends Error {}

/** The master refused the token (or there is none): ask for one, once. */
function askForToken(message) {
  stopLive();
  $('main').hidden = true;
  $('signin').hidden = false;
  $('signin-error').textContent = message ?? '';
  $('signin-error').hidden = !message;
  setConnection('down', 'no token');
  $('token').focus();
}

function useToken(event) {
  event.preventDefault();
  const value = $('token').value.trim();
  if (!value) return;
  sessionStorage.setItem(TOKEN_KEY, value);
  $('token').value = '';
  $('signin').hidden = true;
  $('main').hidden = false;
  goLive();
}

// ---- talking to the master ----

async function api(path, options = {}) {
  const res = await fetch(path, {
    ...options,
    headers: {
      accept: 'application/json',
      ...authHeaders(),
      ...(options.body ? { 'content-type': 'application/json' } : {}),
    },
  });
  const body = await res.json().catch(() => null);
  const message = body?.error?.message ?? `${res.status} ${res.statusText}`;
  if (res.status === 401) {
    askForToken(message);
    throw new Unauthorized(message);
  }
  if (!res.ok) throw new Error(message);
  return body;
}

/**
 * Server-sent events read with fetch, which (unlike EventSource) can send
 * the Authorization header. Calls `on[event](data)` per event and
 * `onOpen()` once connected; `onError(error)` when the stream fails or
 * ends. Returns a function that closes it.
 */
function eventStream(path, on, onOpen, onError) {
  const abort = new AbortController();
  (async () => {
    const res = await fetch(path, {
      headers: { accept: 'text/event-stream', ...authHeaders() },
      signal: abort.signal,
    });
    if (res.status === 401) {
      const body = await res.json().catch(() => null);
      askForToken(body?.error?.message);
      return;
    }
    if (!res.ok || !res.body) throw new Error(`${res.status} ${res.statusText}`);
    onOpen?.();
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let event = 'message';
        const data = [];
        for (const line of block.split('\n')) {
          if (line.startsWith('event: ')) event = line.slice(7);
          else if (line.startsWith('data: ')) data.push(line.slice(6));
        }
        if (data.length) on[event]?.(data.join('\n'));
      }
    }
    throw new Error('the stream ended');
  })().catch((error) => {
    if (!abort.signal.aborted) onError?.(error);
  });
  return () => abort.abort();
}

async function loadJobs() {
  const query = new URLSearchParams({ limit: String(LIST_LIMIT) });
  if (state.filter) query.set('state', state.filter);
  const page = await api(`/api/v1/jobs?${query}`);
  state.jobs = new Map(page.jobs.map((job) => [job.id, job]));
  renderJobs();
}

function setConnection(kind, text) {
  $('conn').dataset.state = kind;
  $('conn-text').textContent = text;
}

/** One push channel for the whole page: job changes, bursts (resync) and the cluster snapshot. Reconnects. */
function connectFeed(wasDown = false) {
  state.feed = eventStream(
    '/api/v1/events',
    {
      cluster: (data) => {
        state.cluster = JSON.parse(data);
        state.clusterAt = Date.now();
        renderCluster();
      },
      jobs: (data) => {
        for (const job of JSON.parse(data)) upsertJob(job);
        renderJobs();
      },
      resync: () => loadJobs().catch(() => {}),
    },
    () => {
      setConnection('live', 'live');
      // Catch up on what changed while the connection was down.
      if (wasDown) loadJobs().catch(() => {});
    },
    () => {
      setConnection('down', 'reconnecting…');
      state.feedRetry = setTimeout(() => connectFeed(true), 2000);
    },
  );
}

function upsertJob(job) {
  const visible = !state.filter || job.state === state.filter;
  if (visible) state.jobs.set(job.id, { ...job, fresh: !state.jobs.has(job.id) });
  else state.jobs.delete(job.id);
  if (job.id === state.selected) renderDetail(job);
}

// ---- cluster overview ----

function renderCluster() {
  const c = state.cluster;
  if (!c) return;
  // Several masters: which leads, under which epoch, since when, and how fresh its lease is; every master in the tooltip.
  const masters = c.masters ?? [];
  const leader = masters.find((m) => m.leader);
  $('master-id').textContent = leader
    ? `leader ${leader.address} · epoch ${leader.epoch} · since ${new Date(leader.leaderSince).toLocaleTimeString()} · lease ${Math.round(leader.leaseAgeMs / 100) / 10}s old · ${masters.length} masters`
    : `master ${c.masterId.slice(0, 8)}`;
  $('master-id').title = masters
    .map((m) => `${m.address} ${m.leader ? `leader (epoch ${m.epoch})` : 'follower'} ${m.id}`)
    .join('\n');
  $('stat-pending').textContent = c.jobs.PENDING;
  $('stat-running').textContent = c.jobs.RUNNING;
  $('stat-completed').textContent = c.jobs.COMPLETED;
  $('stat-failed').textContent = c.jobs.FAILED;
  $('stat-cancelled').textContent = c.jobs.CANCELLED;
  const byPriority =
    c.queue.byPriority.length > 1 ? c.queue.byPriority.map((p) => `p${p.priority}: ${p.count}`).join(' · ') : '';
  $('stat-queue').textContent = byPriority;
  const u = c.utilization;
  $('stat-slots').textContent = `${u.slots.used} / ${u.slots.total}`;
  $('stat-cpus').textContent = `${+u.cpus.used.toFixed(2)} / ${u.cpus.total}`;
  $('stat-memory').textContent = `${bytes(u.memoryBytes.used)} / ${bytes(u.memoryBytes.total)}`;
  meter(u.slots.used, u.slots.total, 'meter-slots');
  meter(u.cpus.used, u.cpus.total, 'meter-cpus');
  meter(u.memoryBytes.used, u.memoryBytes.total, 'meter-memory');
  renderNodes();
}

function renderNodes() {
  const nodes = state.cluster?.nodes ?? [];
  const elapsed = Date.now() - state.clusterAt;
  const rows = nodes.map((node) => {
    const held = node.state === 'HEALTHY' && node.unavailableReason;
    const stateBadge = badge(held ? 'HEALTHY*' : node.state, held ? 'SUSPECT' : node.state);
    if (held) stateBadge.title = node.unavailableReason;
    const labels = Object.entries(node.labels).map(([k, v]) => el('span', { class: 'chip', text: `${k}=${v}` }));
    return el(
      'tr',
      { 'data-node': node.id },
      el('td', { class: 'mono', text: node.id }),
      el('td', {}, stateBadge),
      el('td', { class: 'num', text: `${duration(node.heartbeatAgeMs + elapsed)} ago` }),
      el('td', { class: 'num' }, meter(node.activeTasks, node.maxTasks), `${node.activeTasks}/${node.maxTasks}`),
      el('td', { class: 'num' }, meter(node.usedCpus, node.cpus), `${+node.usedCpus.toFixed(2)}/${node.cpus}`),
      el(
        'td',
        { class: 'num' },
        meter(node.usedMemoryBytes, node.memoryBytes),
        `${bytes(node.usedMemoryBytes)} / ${bytes(node.memoryBytes)}`,
      ),
      el('td', { class: 'mono muted', text: node.address }),
      el('td', {}, ...(labels.length ? labels : [el('span', { class: 'muted', text: '–' })])),
    );
  });
  $('nodes').tBodies[0].replaceChildren(...rows);
  $('nodes-empty').hidden = nodes.length > 0;
  const counts = {};
  for (const node of nodes) counts[node.state] = (counts[node.state] ?? 0) + 1;
  $('nodes-summary').textContent = Object.entries(counts)
    .map(([s, n]) => `${n} ${s.toLowerCase()}`)
    .join(' · ');
}

// ---- job list ----

function renderJobs() {
  // UUIDv7 ids sort by submit time: newest first.
  const jobs = [...state.jobs.values()].sort((a, b) => (a.id < b.id ? 1 : -1)).slice(0, LIST_LIMIT);
  for (const id of [...state.jobs.keys()]) if (!jobs.some((j) => j.id === id)) state.jobs.delete(id);
  const rows = jobs.map((job) => {
    const res = result(job);
    const row = el(
      'tr',
      {
        'data-job': job.id,
        'aria-selected': String(job.id === state.selected),
        class: job.fresh ? 'fresh' : undefined,
      },
      el('td', { class: 'mono', title: job.id, text: shortId(job.id) }),
      el(
        'td',
        {},
        badge(job.state),
        res && job.state === 'FAILED' ? el('span', { class: 'muted', text: ` ${res}` }) : null,
      ),
      el('td', { class: 'cmd', title: job.command, text: job.command }),
      el('td', { class: 'mono', text: job.workerId ?? '–' }),
      el('td', { class: 'num', text: String(job.attempts) }),
      el('td', { class: 'num', 'data-created': job.createdAt, text: ago(job.createdAt) }),
      el('td', { class: 'num', text: runtime(job) }),
    );
    row.addEventListener('click', () => select(job.id));
    job.fresh = false;
    return row;
  });
  $('jobs').tBodies[0].replaceChildren(...rows);
  $('jobs-empty').hidden = jobs.length > 0;
}

function setFilter(filter) {
  state.filter = filter;
  for (const button of $('filters').querySelectorAll('button'))
    button.setAttribute('aria-pressed', String(button.dataset.filter === filter));
  loadJobs().catch(showListError);
}

function showListError(error) {
  $('jobs-empty').hidden = false;
  $('jobs-empty').textContent = `Could not load jobs: ${error.message}`;
}

// ---- job detail with live output ----

function select(id) {
  if (location.hash !== `#/jobs/${id}`) location.hash = `#/jobs/${id}`;
  else openDetail(id);
}

async function openDetail(id) {
  closeLog();
  state.selected = id;
  for (const row of $('jobs').tBodies[0].rows) row.setAttribute('aria-selected', String(row.dataset.job === id));
  $('detail').hidden = false;
  $('output').replaceChildren();
  $('detail-error').hidden = true;
  try {
    renderDetail(await api(`/api/v1/jobs/${encodeURIComponent(id)}?output=false`));
    followLog(id, 0);
  } catch (error) {
    $('detail-id').textContent = id;
    $('detail-error').textContent = error.message;
    $('detail-error').hidden = false;
  }
}

function renderDetail(job) {
  if (job.id !== state.selected) return;
  $('detail').dataset.job = job.id;
  $('detail-id').textContent = job.id;
  $('detail-state').textContent = job.state;
  $('detail-state').dataset.state = job.state;
  $('detail-command').textContent = job.command;
  $('cancel-button').hidden = TERMINAL.has(job.state);
  const facts = [
    ['Result', result(job) || (TERMINAL.has(job.state) ? job.state.toLowerCase() : '–')],
    ['Reason', job.reason],
    ['Error', job.error],
    ['Waiting', job.pendingReason],
    ['Worker', job.workerId],
    ['Submitted by', job.submittedBy],
    ['Cancelled by', job.cancelledBy],
    // Names only: the values may be secrets, and the master does not send them.
    ['Env', job.envNames?.length ? job.envNames.join(', ') : null],
    ['Attempts', job.maxRetries ? `${job.attempts} of at most ${job.maxRetries + 1}` : String(job.attempts)],
    ['Priority', String(job.priority)],
    ['Timeout', job.timeoutMs ? duration(job.timeoutMs) : 'none'],
    ['Created', job.createdAt ? new Date(job.createdAt).toLocaleString() : null],
    ['Runtime', job.startedAt ? runtime(job) : null],
    ['Resources', resources(job.attemptHistory.at(-1))],
    ['Output cut', outputCut(job)],
  ];
  if (job.attemptHistory.length > 1) {
    for (const a of job.attemptHistory) {
      const outcome = a.finishedAt
        ? a.succeeded
          ? 'succeeded'
          : `${a.reason}${a.error ? `: ${a.error}` : ''}`
        : 'running';
      facts.push([`Attempt ${a.attempt}`, `${a.nodeId}, ${outcome}`]);
    }
  }
  $('detail-facts').replaceChildren(
    ...facts.filter(([, v]) => v).flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: v })]),
  );
}

/** Peak memory and CPU time of an attempt, where its worker measured them. */
function resources(attempt) {
  if (!attempt?.peakMemoryBytes && !attempt?.cpuTimeMs) return null;
  return `peak memory ${bytes(attempt.peakMemoryBytes)}, cpu time ${duration(attempt.cpuTimeMs)}`;
}

/** What output over the limit lost from its middle (the head and the tail are kept, the log marks the cut). */
function outputCut(job) {
  const dropped = [
    ['stdout', job.stdoutDroppedBytes],
    ['stderr', job.stderrDroppedBytes],
  ].filter(([, n]) => n > 0);
  if (!dropped.length) return null;
  return `${dropped.map(([stream, n]) => `${bytes(n)} of ${stream}`).join(' and ')} dropped from the middle (over the output limit)`;
}

/** Follows the job's output over server-sent events; reconnects from the last offset, so nothing repeats. */
function followLog(jobId, offset) {
  const log = {
    close: () => {},
    next: offset,
    jobId,
    attempt: state.log?.jobId === jobId ? state.log.attempt : 0,
    ended: false,
  };
  state.log = log;
  $('output-status').textContent = 'following…';
  log.close = eventStream(
    `/api/v1/jobs/${encodeURIComponent(jobId)}/logs?follow=true&format=sse&offset=${offset}`,
    {
      job: (data) => {
        const job = JSON.parse(data);
        renderDetail(job);
        if (state.jobs.has(job.id)) {
          state.jobs.set(job.id, job);
          renderJobs();
        }
      },
      output: (data) => appendOutput(log, JSON.parse(data)),
      end: () => {
        log.ended = true;
        log.close();
        $('output-status').textContent = 'ended';
      },
    },
    null,
    () => {
      if (log.ended || state.log !== log) return;
      $('output-status').textContent = 'reconnecting…';
      setTimeout(() => {
        if (state.log === log) followLog(jobId, log.next);
      }, 1000);
    },
  );
}

function appendOutput(log, chunk) {
  if (state.log !== log) return;
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

function closeLog() {
  state.log?.close();
  state.log = null;
}

function closeDetail() {
  closeLog();
  state.selected = null;
  $('detail').hidden = true;
  if (location.hash.startsWith('#/jobs/')) history.replaceState(null, '', '#/');
  renderJobs();
}

async function cancelSelected() {
  const id = state.selected;
  if (!id) return;
  const button = $('cancel-button');
  button.disabled = true;
  try {
    renderDetail(await api(`/api/v1/jobs/${encodeURIComponent(id)}/cancel`, { method: 'POST' }));
  } catch (error) {
    $('detail-error').textContent = error.message;
    $('detail-error').hidden = false;
  } finally {
    button.disabled = false;
  }
}

// ---- submit ----

async function submit(event) {
  event.preventDefault();
  const error = $('submit-error');
  error.hidden = true;
  const spec = { command: $('command').value };
  const timeout = $('timeout').value.trim();
  const priority = $('priority').value.trim();
  if (timeout) spec.timeout = timeout;
  if (priority) {
    if (!/^-?\d+$/.test(priority)) {
      error.textContent = 'Priority must be a whole number, such as 0 or 10.';
      error.hidden = false;
      return;
    }
    spec.priority = Number(priority);
  }
  const button = $('submit-button');
  button.disabled = true;
  try {
    const job = await api('/api/v1/jobs', { method: 'POST', body: JSON.stringify(spec) });
    upsertJob(job);
    renderJobs();
    select(job.id);
  } catch (err) {
    error.textContent = err.message;
    error.hidden = false;
  } finally {
    button.disabled = false;
  }
}

// ---- start ----

function route() {
  const match = /^#\/jobs\/([0-9a-f-]{36})$/i.exec(location.hash);
  if (match) openDetail(match[1]);
  else if (state.selected) closeDetail();
}

function tick() {
  // Ages and runtimes move on between pushes.
  for (const cell of document.querySelectorAll('[data-created]')) cell.textContent = ago(cell.dataset.created);
  if (state.cluster) renderNodes();
  const job = state.jobs.get(state.selected);
  if (job && job.state === 'RUNNING') renderDetail(job);
}

/** The live feed, the job list and the detail in the address: what the page runs once it has a token. */
function goLive() {
  connectFeed();
  loadJobs().catch((error) => {
    if (!(error instanceof Unauthorized)) showListError(error);
  });
  route();
}

function stopLive() {
  clearTimeout(state.feedRetry);
  state.feed?.();
  state.feed = null;
  closeLog();
}

function start() {
  $('submit-form').addEventListener('submit', submit);
  $('signin-form').addEventListener('submit', useToken);
  $('cancel-button').addEventListener('click', cancelSelected);
  $('close-detail').addEventListener('click', closeDetail);
  for (const button of $('filters').querySelectorAll('button'))
    button.addEventListener('click', () => setFilter(button.dataset.filter));
  window.addEventListener('hashchange', () => {
    if (takeTokenFromUrl() && !$('signin').hidden) {
      $('signin').hidden = true;
      $('main').hidden = false;
      goLive();
    } else route();
  });
  takeTokenFromUrl();
  setInterval(tick, 1000);
  if (!token()) askForToken();
  else goLive();
}

start();
