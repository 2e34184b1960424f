// Formatting and DOM helpers shared by the dashboard's views. Everything from
// the master goes into the page as text (textContent), never as HTML, so a
// job's command or output can never inject markup or script.

export const TERMINAL = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);
/** The labels `dist-exec run --array` gives each job of an array. */
export const ARRAY_LABEL = 'dist-exec.array';
export const ARRAY_INDEX_LABEL = 'dist-exec.array-index';

export const $ = (id) => document.getElementById(id);

export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null) continue;
    if (key === 'text') node.textContent = value;
    else if (key === 'class') node.className = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) if (child !== null && child !== undefined && child !== false) node.append(child);
  return node;
}

export function duration(ms) {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`;
  if (ms < 3_600_000) {
    const s = Math.floor((ms % 60_000) / 1000);
    return `${Math.floor(ms / 60_000)}m${s ? `${String(s).padStart(2, '0')}s` : ''}`;
  }
  const m = Math.floor((ms % 3_600_000) / 60_000);
  return `${Math.floor(ms / 3_600_000)}h${m ? `${String(m).padStart(2, '0')}m` : ''}`;
}

const pad = (n, width = 2) => String(n).padStart(width, '0');

/**
 * The one date format of the page: `2026-12-06 15:04:05` in the browser's
 * time zone (ISO order, 24-hour clock: the same in every locale, sortable).
 * The full ISO time (UTC) is in the element's title where it is shown.
 */
export function when(iso) {
  if (!iso) return '–';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '–';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** A cell or span with the date in the page's format and the exact time on hover. */
export function timeEl(tag, iso, props = {}) {
  return el(tag, { ...props, title: iso || undefined, 'data-time': iso || undefined, text: when(iso) });
}

export function bytes(n) {
  if (!n) return '0';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i += 1;
  }
  return `${n >= 10 || i === 0 ? Math.round(n) : n.toFixed(1)} ${units[i]}`;
}

export function runtime(job) {
  if (!job.startedAt) return '–';
  const end = job.finishedAt ? Date.parse(job.finishedAt) : Date.now();
  return duration(end - Date.parse(job.startedAt));
}

/** UUIDv7: the first digits are the time, the last ones tell jobs apart (any unique end finds the job). */
export function shortId(id) {
  return `…${id.slice(-8)}`;
}

export function result(job) {
  if (job.state === 'COMPLETED') return 'exit 0';
  if (job.state === 'FAILED')
    return job.reason === 'EXIT_CODE' && job.exitCode !== null ? `exit ${job.exitCode}` : job.reason;
  return '';
}

export function badge(text, stateName = text) {
  return el('span', { class: 'badge', 'data-state': stateName, text });
}

export function chips(labels) {
  const entries = Object.entries(labels ?? {});
  if (!entries.length) return [el('span', { class: 'muted', text: '–' })];
  return entries.map(([k, v]) => el('span', { class: 'chip', text: `${k}=${v}` }));
}

/** A bar filled to used/total; `bar` (an existing inner span) is updated in place. */
export function meter(used, total, bar) {
  const pct = total > 0 ? Math.min(100, (used / total) * 100) : 0;
  const inner = bar ?? el('span');
  inner.style.setProperty('--pct', `${pct}%`);
  if (bar) {
    bar.parentElement?.classList.toggle('hot', pct >= 90);
    return bar;
  }
  return el('span', { class: pct >= 90 ? 'meter hot' : 'meter' }, inner);
}

/** A link inside the page (`#/jobs/…`, `#/nodes/…`), keeping the list's filters in the address. */
export function link(hash, text, props = {}) {
  return el('a', { ...props, href: `${location.search}${hash}`, text });
}
