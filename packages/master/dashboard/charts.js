// The overview's charts over the last 15 minutes, drawn as plain SVG from
// `GET /api/v1/activity` (one value per second, oldest first). No library:
// a polyline per series, scaled to the largest value shown.

import { $, el } from './format.js';

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 900;
const HEIGHT = 120;
/** Seconds averaged into one point of the rate chart, so single seconds do not make a comb. */
const RATE_STEP = 10;

function svg(tag, attrs = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  return node;
}

/** Averages of `step` values (nulls skipped; null where all were). */
function average(values, step) {
  const out = [];
  for (let i = 0; i < values.length; i += step) {
    const part = values.slice(i, i + step).filter((v) => v !== null);
    out.push(part.length ? part.reduce((a, b) => a + b, 0) / part.length : null);
  }
  return out;
}

/** One polyline per run of non-null values. */
function lines(values, max, className) {
  const group = svg('g', { class: className });
  const dx = WIDTH / Math.max(1, values.length - 1);
  let points = [];
  const flush = () => {
    if (points.length > 1) group.append(svg('polyline', { points: points.join(' ') }));
    else if (points.length === 1) {
      const [x, y] = points[0].split(',');
      group.append(svg('circle', { cx: x, cy: y, r: 2 }));
    }
    points = [];
  };
  values.forEach((value, i) => {
    if (value === null) return flush();
    const y = HEIGHT - (value / max) * (HEIGHT - 4) - 2;
    points.push(`${(i * dx).toFixed(1)},${y.toFixed(1)}`);
  });
  flush();
  return group;
}

function nice(max) {
  if (max <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 2.5, 5, 10]) if (max <= m * power) return m * power;
  return 10 * power;
}

function fmt(n) {
  return n >= 100 || Number.isInteger(n) ? String(Math.round(n)) : n.toFixed(1);
}

/** A chart: title, legend with the latest values, the plot with its top value and the time axis. */
function chart(id, title, series, unit) {
  const max = nice(Math.max(0, ...series.flatMap((s) => s.values.filter((v) => v !== null))));
  const plot = svg('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, preserveAspectRatio: 'none', role: 'img' });
  plot.setAttribute('aria-label', `${title}, last 15 minutes`);
  plot.append(svg('line', { x1: 0, y1: HEIGHT - 1, x2: WIDTH, y2: HEIGHT - 1, class: 'axis' }));
  for (const s of series) plot.append(lines(s.values, max, `series ${s.className}`));
  const legend = series.map((s) => {
    const last = [...s.values].reverse().find((v) => v !== null);
    return el(
      'span',
      { class: `key ${s.className}`, 'data-series': s.className },
      el('i'),
      `${s.name} `,
      el('b', { text: last === undefined ? '–' : fmt(last) }),
    );
  });
  return el(
    'figure',
    { class: 'chart', id },
    el('figcaption', {}, el('span', { class: 'title', text: title }), el('span', { class: 'legend' }, ...legend)),
    el('div', { class: 'plot' }, el('span', { class: 'ymax', text: `${fmt(max)}${unit}` }), plot),
    el('div', { class: 'xaxis' }, el('span', { text: '15 min ago' }), el('span', { text: 'now' })),
  );
}

/** Draws the three charts into #charts from the activity series. */
export function renderCharts(activity) {
  const perSecond = (values) => average(values, RATE_STEP);
  $('charts').replaceChildren(
    chart(
      'chart-jobs',
      'Jobs per second',
      [
        { name: 'started', className: 'started', values: perSecond(activity.started) },
        { name: 'completed', className: 'completed', values: perSecond(activity.completed) },
        { name: 'failed', className: 'failed', values: perSecond(activity.failed) },
      ],
      '/s',
    ),
    chart('chart-queue', 'Queue depth', [{ name: 'pending', className: 'queued', values: activity.queued }], ''),
    chart(
      'chart-slots',
      'Task slots in use',
      [
        { name: 'in use', className: 'used', values: activity.slotsUsed },
        { name: 'of', className: 'total', values: activity.slotsTotal },
      ],
      '',
    ),
  );
}
