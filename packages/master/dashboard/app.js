// dist-exec dashboard: plain browser JavaScript modules, no build step, no
// dependencies. This file routes between the three views (the overview at
// `#/`, a job at `#/jobs/<id>`, a node at `#/nodes/<id>`), keeps the live feed
// and the connection state (a banner and submit turned off while the master is
// not answering; it recovers by itself), and runs the overview.

import { api, eventStream, onConnection, setToken, takeTokenFromUrl, token } from './api.js';
import { renderCharts } from './charts.js';
import { $, badge, bytes, chips, duration, el, meter, when } from './format.js';
import { closeJob, openJob, setUpJobPage, shownJobId, tickJob, updateJob } from './job-page.js';
import { reloadJobs, setUpJobList, showFilters, tickJobs, upsertJob } from './jobs-view.js';
import { closeNode, openNode, setUpNodePage, shownNodeId } from './node-page.js';

const FEED_RETRY_MS = 2000;
const ACTIVITY_REFRESH_MS = 5000;

const state = {
  cluster: null,
  clusterAt: 0, // Date.now() when the snapshot arrived, to age heartbeats locally
  feed: null, // closes the live feed
  feedRetry: 0,
  down: false,
  downSince: 0,
  activityTimer: 0,
  view: null, // 'overview' | 'job' | 'node'
};

// ---- connection: the token, the feed, the banner ----

function setConnection(kind, text) {
  $('conn').dataset.state = kind;
  $('conn-text').textContent = text;
}

/** The master stopped answering: say so, turn off what would fail, keep trying. */
function markDown() {
  if (state.down) return;
  state.down = true;
  state.downSince = Date.now();
  document.body.dataset.down = 'true';
  $('down-banner').hidden = false;
  $('down-since').textContent = when(new Date(state.downSince).toISOString());
  setConnection('down', 'reconnecting…');
  for (const id of ['submit-button', 'cancel-button', 'rerun-button', 'drain-button', 'undrain-button'])
    $(id).disabled = true;
}

function markUp() {
  if (!state.down) return;
  state.down = false;
  delete document.body.dataset.down;
  $('down-banner').hidden = true;
  for (const id of ['submit-button', 'cancel-button', 'rerun-button', 'drain-button', 'undrain-button'])
    $(id).disabled = false;
}

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
  setToken(value);
  $('token').value = '';
  $('signin').hidden = true;
  $('main').hidden = false;
  goLive();
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
        for (const job of JSON.parse(data)) {
          upsertJob(job);
          updateJob(job);
        }
      },
      resync: () => reloadJobs(),
    },
    () => {
      setConnection('live', 'live');
      markUp();
      // Catch up on what changed while the connection was down.
      if (wasDown) {
        reloadJobs();
        refreshActivity();
        const id = shownJobId();
        if (id && state.view === 'job') openJob(id);
      }
    },
    () => {
      markDown();
      state.feedRetry = setTimeout(() => connectFeed(true), FEED_RETRY_MS);
    },
  );
}

// ---- the overview ----

function renderCluster() {
  const c = state.cluster;
  if (!c) return;
  // Several masters: which leads, under which epoch, since when, and how fresh its lease is; every master in the tooltip.
  const masters = c.masters ?? [];
  const leader = masters.find((m) => m.leader);
  $('master-id').textContent = leader
    ? `leader ${leader.address} · epoch ${leader.epoch} · since ${when(leader.leaderSince)} · lease ${Math.round(leader.leaseAgeMs / 100) / 10}s old · ${masters.length} masters`
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
  meter(u.slots.used, u.slots.total, $('meter-slots'));
  meter(u.cpus.used, u.cpus.total, $('meter-cpus'));
  meter(u.memoryBytes.used, u.memoryBytes.total, $('meter-memory'));
  renderNodes();
}

function renderNodes() {
  const nodes = state.cluster?.nodes ?? [];
  const elapsed = Date.now() - state.clusterAt;
  const rows = nodes.map((node) => {
    const held = node.state === 'HEALTHY' && node.unavailableReason;
    const stateBadge = badge(held ? 'HEALTHY*' : node.state, held ? 'SUSPECT' : node.state);
    if (held) stateBadge.title = node.unavailableReason;
    return el(
      'tr',
      { 'data-node': node.id },
      el('td', { class: 'mono' }, el('a', { href: `${location.search}#/nodes/${node.id}`, text: node.id })),
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
      el('td', {}, ...chips(node.labels)),
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

async function refreshActivity() {
  clearTimeout(state.activityTimer);
  if (state.view === 'overview' && !$('main').hidden) {
    try {
      renderCharts(await api('/api/v1/activity'));
    } catch {
      // The banner says when the master is down; the charts keep their last picture.
    }
  }
  state.activityTimer = setTimeout(refreshActivity, ACTIVITY_REFRESH_MS);
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
    location.hash = `#/jobs/${job.id}`;
  } catch (err) {
    error.textContent = err.message;
    error.hidden = false;
  } finally {
    button.disabled = state.down;
  }
}

// ---- routing ----

function show(view) {
  const changed = state.view !== view;
  state.view = view;
  $('overview').hidden = view !== 'overview';
  $('job-view').hidden = view !== 'job';
  $('node-view').hidden = view !== 'node';
  for (const a of document.querySelectorAll('.topbar nav a'))
    a.setAttribute('aria-current', String(a.dataset.view === view));
  // A new page starts at its top (on a phone, a tapped job is the whole screen, not a panel far below).
  if (changed) window.scrollTo(0, 0);
}

/** The view from the address's fragment; the list's filters from its query. Back and forward land here too. */
function route() {
  const job = /^#\/jobs\/([^/]+)$/.exec(location.hash);
  const node = /^#\/nodes\/([^/]+)$/.exec(location.hash);
  $('overview-link').href = `${location.pathname}${location.search}#/`;
  if (job) {
    closeNode();
    show('job');
    const id = decodeURIComponent(job[1]);
    if (shownJobId() !== id) openJob(id);
  } else if (node) {
    closeJob();
    show('node');
    // A link fires popstate and hashchange both: the page opens once.
    const id = decodeURIComponent(node[1]);
    if (shownNodeId() !== id) openNode(id);
  } else {
    closeJob();
    closeNode();
    const entering = state.view !== 'overview';
    show('overview');
    showFilters().catch(() => {});
    if (entering) refreshActivity();
  }
}

// ---- start ----

function tick() {
  // Ages and runtimes move on between pushes.
  if (state.cluster && state.view === 'overview') renderNodes();
  tickJobs();
  tickJob();
}

/** The live feed, the list and the view in the address: what the page runs once it has a token. */
function goLive() {
  connectFeed();
  route();
}

function stopLive() {
  clearTimeout(state.feedRetry);
  state.feed?.();
  state.feed = null;
  closeJob();
  closeNode();
}

function start() {
  onConnection({
    unauthorized: (message) => askForToken(message),
    unreachable: markDown,
    reachable: () => {},
  });
  $('submit-form').addEventListener('submit', submit);
  $('signin-form').addEventListener('submit', useToken);
  setUpJobList();
  setUpJobPage();
  setUpNodePage();
  window.addEventListener('popstate', route);
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
