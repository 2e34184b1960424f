// The job list of the overview: a page of jobs at a time (newer/older), a
// state filter and a search (id piece, command words, k=v labels) kept in the
// address (`?state=FAILED&q=render&label=team%3Dweb`, so back/forward and
// links work), live updates from the feed, and arrays folded into one row.

import { api } from './api.js';
import { $, ARRAY_INDEX_LABEL, ARRAY_LABEL, badge, el, result, runtime, shortId, timeEl, TERMINAL } from './format.js';

export const PAGE_SIZE = 50;
/** An array's members read for its row (its counts); larger arrays say "1000+". */
const ARRAY_LIMIT = 1000;
const ARRAY_REFRESH_MS = 1500;

const list = {
  key: null, // the filters (as a query string) the page was loaded for
  tokens: [''], // page tokens of the pages before and of this one
  next: '',
  jobs: [],
  total: null,
  scan: null, // { scanned, truncated } for a search
  arrays: new Map(), // array id → { jobs: [...] | null, open, loading, loadedAt, stale }
  renderQueued: false,
};

/** The filters in the address: `{ state, q, labels: ['k=v'] }`. */
export function filtersFromUrl() {
  const params = new URLSearchParams(location.search);
  return {
    state: (params.get('state') ?? '').toUpperCase(),
    q: params.get('q') ?? '',
    labels: params.getAll('label'),
  };
}

function filtersQuery(filters) {
  const params = new URLSearchParams();
  if (filters.state) params.set('state', filters.state);
  if (filters.q) params.set('q', filters.q);
  for (const label of filters.labels) params.append('label', label);
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** Puts new filters in the address (a history entry, so back undoes it) and loads the first page. */
function setFilters(filters) {
  history.pushState(null, '', `${location.pathname}${filtersQuery(filters)}${location.hash}`);
  showFilters();
}

/** Loads the list for the address's filters, unless it shows them already (`force`: reload anyway). */
export function showFilters(force = false) {
  const filters = filtersFromUrl();
  const key = filtersQuery(filters);
  for (const button of $('filters').querySelectorAll('button'))
    button.setAttribute('aria-pressed', String(button.dataset.filter === filters.state));
  $('search').value = [filters.q, ...filters.labels].filter(Boolean).join(' ');
  $('clear-search').hidden = !filters.q && !filters.labels.length;
  if (!force && key === list.key) return Promise.resolve();
  list.key = key;
  list.tokens = [''];
  return loadPage();
}

/** Reloads the page shown (after the feed was down, or a resync). */
export function reloadJobs() {
  return loadPage().catch(showListError);
}

async function loadPage() {
  const filters = filtersFromUrl();
  const token = list.tokens.at(-1);
  const params = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (filters.state) params.set('state', filters.state);
  if (token) params.set('pageToken', token);
  const searching = filters.q || filters.labels.length;
  if (filters.q) params.set('q', filters.q);
  for (const label of filters.labels) params.append('label', label);
  $('jobs-status').textContent = 'loading…';
  const page = await api(`/api/v1/${searching ? 'search' : 'jobs'}?${params}`);
  list.jobs = page.jobs;
  list.next = page.nextPageToken ?? '';
  list.total = searching ? null : page.totalCount;
  list.scan = searching ? { scanned: page.scanned, truncated: page.truncated } : null;
  for (const entry of list.arrays.values()) entry.stale = true;
  $('jobs-error').hidden = true;
  renderJobs();
}

function showListError(error) {
  $('jobs-error').textContent = `Could not load jobs: ${error.message}`;
  $('jobs-error').hidden = false;
  $('jobs-status').textContent = '';
}

/** Whether a job pushed by the feed belongs in the list as filtered. */
function matches(job, filters) {
  if (filters.state && job.state !== filters.state) return false;
  for (const label of filters.labels) {
    const eq = label.indexOf('=');
    if (job.labels?.[label.slice(0, eq)] !== label.slice(eq + 1)) return false;
  }
  const q = filters.q.toLowerCase();
  return !q || job.command.toLowerCase().includes(q) || job.id.startsWith(q) || job.id.endsWith(q);
}

/** Submitted after every job on the page (UUIDv7 ids sort by submit time): older ones belong on later pages. */
function isNewer(job) {
  return list.jobs.length === 0 || job.id > list.jobs[0].id;
}

/** A job from the live feed: updated where shown, added on top of the first page when it matches. */
export function upsertJob(job) {
  const i = list.jobs.findIndex((j) => j.id === job.id);
  const filters = filtersFromUrl();
  if (i >= 0) {
    if (filters.state && job.state !== filters.state) list.jobs.splice(i, 1);
    else list.jobs[i] = job;
  } else if (list.tokens.length === 1 && isNewer(job) && matches(job, filters)) {
    list.jobs.unshift({ ...job, fresh: true });
    if (list.total !== null) list.total += 1;
    // The page grows with the feed (so paging on misses nothing) until it has twice its size: then it is read again.
    if (list.jobs.length > 2 * PAGE_SIZE && !list.reloading) {
      list.reloading = true;
      reloadJobs().finally(() => (list.reloading = false));
    }
  }
  const arrayId = job.labels?.[ARRAY_LABEL];
  const entry = arrayId && list.arrays.get(arrayId);
  if (entry) {
    // Shown at once where it is listed; the counts are read again (at most every ARRAY_REFRESH_MS).
    const k = entry.jobs?.findIndex((j) => j.id === job.id) ?? -1;
    if (k >= 0) entry.jobs[k] = job;
    entry.stale = true;
  }
  queueRender();
}

function queueRender() {
  if (list.renderQueued) return;
  list.renderQueued = true;
  requestAnimationFrame(() => {
    list.renderQueued = false;
    renderJobs();
  });
}

function jobRow(job, member = false) {
  const res = result(job);
  const index = job.labels?.[ARRAY_INDEX_LABEL];
  const row = el(
    'tr',
    { 'data-job': job.id, class: [job.fresh ? 'fresh' : '', member ? 'member' : ''].join(' ').trim() || undefined },
    el(
      'td',
      { class: 'mono' },
      el('a', {
        href: `${location.search}#/jobs/${job.id}`,
        title: job.id,
        text: member && index !== undefined ? `${shortId(job.id)} [${index}]` : shortId(job.id),
      }),
    ),
    el(
      'td',
      {},
      badge(job.state),
      res && job.state === 'FAILED' ? el('span', { class: 'muted', text: ` ${res}` }) : null,
    ),
    el('td', { class: 'cmd', title: job.command, text: job.command }),
    el('td', { class: 'mono' }, job.workerId ? el('a', { href: `#/nodes/${job.workerId}`, text: job.workerId }) : '–'),
    el('td', { class: 'num', text: String(job.attempts) }),
    timeEl('td', job.createdAt, { class: 'num' }),
    el('td', { class: 'num', text: runtime(job) }),
  );
  // The whole row opens the job (links inside it go where they say).
  row.addEventListener('click', (event) => {
    if (!event.target.closest('a')) location.hash = `#/jobs/${job.id}`;
  });
  job.fresh = false;
  return row;
}

const SUMMARY_WORDS = [
  ['COMPLETED', 'done'],
  ['FAILED', 'failed'],
  ['CANCELLED', 'cancelled'],
  ['RUNNING', 'running'],
  ['PENDING', 'pending'],
];

/** "180 done, 2 failed, 18 running" from counts by state. */
function summaryText(counts) {
  return SUMMARY_WORDS.filter(([s]) => counts[s])
    .map(([s, word]) => `${counts[s]} ${word}`)
    .join(', ');
}

function countStates(jobs) {
  const counts = {};
  for (const job of jobs) counts[job.state] = (counts[job.state] ?? 0) + 1;
  return counts;
}

function indexRange(jobs) {
  const indices = jobs.map((j) => Number(j.labels?.[ARRAY_INDEX_LABEL])).filter(Number.isFinite);
  return indices.length ? { min: Math.min(...indices), max: Math.max(...indices) } : null;
}

/**
 * An array's counts (`GET /api/v1/search/summary`, a few bytes however large
 * the array), and its jobs while its row is open.
 */
async function loadArray(arrayId) {
  const entry = list.arrays.get(arrayId);
  if (!entry || entry.loading) return;
  entry.loading = true;
  entry.stale = false;
  try {
    const label = `${ARRAY_LABEL}=${arrayId}`;
    entry.summary = await api(`/api/v1/search/summary?${new URLSearchParams({ label, range: ARRAY_INDEX_LABEL })}`);
    if (entry.open) {
      const page = await api(`/api/v1/search?${new URLSearchParams({ label, limit: String(ARRAY_LIMIT) })}`);
      entry.jobs = page.jobs.sort(
        (a, b) => Number(a.labels?.[ARRAY_INDEX_LABEL] ?? 0) - Number(b.labels?.[ARRAY_INDEX_LABEL] ?? 0),
      );
      entry.more = Boolean(page.nextPageToken);
    }
    entry.loadedAt = Date.now();
  } finally {
    entry.loading = false;
  }
  queueRender();
}

/** Reads the array again now, or once ARRAY_REFRESH_MS have passed since the last read (a running array changes often). */
function refreshArray(arrayId, entry) {
  if (!entry.stale || entry.loading || entry.timer) return;
  const wait = ARRAY_REFRESH_MS - (Date.now() - entry.loadedAt);
  if (wait <= 0) loadArray(arrayId).catch(() => {});
  else
    entry.timer = setTimeout(() => {
      entry.timer = null;
      loadArray(arrayId).catch(() => {});
    }, wait);
}

function arrayRows(arrayId, pageMembers) {
  let entry = list.arrays.get(arrayId);
  if (!entry) list.arrays.set(arrayId, (entry = { summary: null, jobs: null, open: false, stale: true, loadedAt: 0 }));
  refreshArray(arrayId, entry);
  const members = (entry.open && entry.jobs) || pageMembers;
  const counts = entry.summary?.counts ?? countStates(pageMembers);
  const range = entry.summary?.range ?? indexRange(pageMembers);
  const total = entry.summary ? `${entry.summary.total}${entry.summary.truncated ? '+' : ''}` : '…';
  const first = pageMembers[0];
  const toggle = el('button', {
    type: 'button',
    class: 'toggle',
    'aria-expanded': String(entry.open),
    'aria-label': entry.open ? 'Fold the array' : 'Show the array’s jobs',
    text: entry.open ? '▾' : '▸',
  });
  const head = el(
    'tr',
    { class: 'array', 'data-array': arrayId },
    el('td', { class: 'mono' }, toggle, ` ${shortId(arrayId)}${range ? `[${range.min}-${range.max}]` : ''}`),
    el('td', { class: 'summary', text: summaryText(counts) }),
    el('td', { class: 'cmd', title: first.command, text: first.command }),
    el('td', { class: 'muted', text: `${total} jobs` }),
    el('td', { class: 'num', text: '' }),
    timeEl('td', first.createdAt, { class: 'num' }),
    el('td', { class: 'num', text: '' }),
  );
  head.addEventListener('click', (event) => {
    if (event.target.closest('a')) return;
    entry.open = !entry.open;
    if (entry.open) {
      entry.stale = true;
      entry.loadedAt = 0;
      refreshArray(arrayId, entry);
    }
    renderJobs();
  });
  const rows = [head, ...(entry.open ? members.map((job) => jobRow(job, true)) : [])];
  if (entry.open && entry.more)
    rows.push(
      el(
        'tr',
        { class: 'member' },
        el('td', { colspan: '7', class: 'muted', text: `the newest ${ARRAY_LIMIT} shown` }),
      ),
    );
  return rows;
}

export function renderJobs() {
  const rows = [];
  const seenArrays = new Set();
  for (const job of list.jobs) {
    const arrayId = job.labels?.[ARRAY_LABEL];
    if (!arrayId) {
      rows.push(jobRow(job));
      continue;
    }
    if (seenArrays.has(arrayId)) continue;
    seenArrays.add(arrayId);
    rows.push(
      ...arrayRows(
        arrayId,
        list.jobs.filter((j) => j.labels?.[ARRAY_LABEL] === arrayId),
      ),
    );
  }
  $('jobs').tBodies[0].replaceChildren(...rows);
  const filters = filtersFromUrl();
  const empty = list.jobs.length === 0;
  $('jobs-empty').hidden = !empty;
  $('jobs-empty').textContent =
    filters.q || filters.labels.length || filters.state
      ? `No jobs match${list.scan?.truncated ? ' in the newest jobs searched' : ''}.`
      : 'No jobs here yet. Run one with the form.';
  const from = (list.tokens.length - 1) * PAGE_SIZE;
  const shown = list.jobs.length ? `${from + 1}–${from + list.jobs.length}` : '0';
  $('jobs-status').textContent = list.scan
    ? `${shown} · searched ${list.scan.scanned.toLocaleString('en')} jobs${list.scan.truncated ? ' (go older for more)' : ''}`
    : `${shown} of ${(list.total ?? 0).toLocaleString('en')}`;
  $('newer').disabled = list.tokens.length === 1;
  $('older').disabled = !list.next;
}

function older() {
  if (!list.next) return;
  list.tokens.push(list.next);
  loadPage().catch(showListError);
}

function newer() {
  if (list.tokens.length === 1) return;
  list.tokens.pop();
  loadPage().catch(showListError);
}

/** `render frame team=web` → q "render frame", labels ["team=web"]. */
function parseSearch(text) {
  const words = text.trim().split(/\s+/).filter(Boolean);
  return {
    q: words.filter((w) => !/^[^=]+=/.test(w)).join(' '),
    labels: words.filter((w) => /^[^=]+=/.test(w)),
  };
}

export function setUpJobList() {
  for (const button of $('filters').querySelectorAll('button'))
    button.addEventListener('click', () => setFilters({ ...filtersFromUrl(), state: button.dataset.filter }));
  $('search-form').addEventListener('submit', (event) => {
    event.preventDefault();
    setFilters({ ...filtersFromUrl(), ...parseSearch($('search').value) });
  });
  $('clear-search').addEventListener('click', () => setFilters({ ...filtersFromUrl(), q: '', labels: [] }));
  $('older').addEventListener('click', older);
  $('newer').addEventListener('click', newer);
}

/** Ages and runtimes move on between pushes. */
export function tickJobs() {
  for (const row of $('jobs').tBodies[0].rows) {
    const job = list.jobs.find((j) => j.id === row.dataset.job);
    if (job && !TERMINAL.has(job.state) && job.startedAt) row.cells[6].textContent = runtime(job);
  }
}
