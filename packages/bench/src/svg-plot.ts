/**
 * A hand-written SVG of time series, one panel per quantity, so a person can
 * look at a soak run: no plotting library, a few dozen lines of markup.
 */

export interface Series {
  label: string;
  /** One value per sample (NaN: not measured then). */
  values: readonly number[];
}

export interface Panel {
  title: string;
  unit: string;
  series: readonly Series[];
}

const WIDTH = 900;
const PANEL_HEIGHT = 150;
const MARGIN = { left: 70, right: 160, top: 28, bottom: 26 };
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e'];

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 2.5, 5, 10].map((m) => m * power).find((m) => m >= value) ?? value;
}

function panelSvg(panel: Panel, top: number, times: readonly number[]): string {
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = PANEL_HEIGHT - MARGIN.top - MARGIN.bottom;
  const maxTime = Math.max(1, ...times);
  const max = niceMax(Math.max(0, ...panel.series.flatMap((s) => s.values.filter(Number.isFinite))));
  const x = (t: number): number => MARGIN.left + (t / maxTime) * plotWidth;
  const y = (v: number): number => top + MARGIN.top + plotHeight - (v / max) * plotHeight;
  const parts = [
    `<text x="${MARGIN.left}" y="${top + 18}" font-weight="bold">${escape(panel.title)} (${escape(panel.unit)})</text>`,
    `<rect x="${MARGIN.left}" y="${top + MARGIN.top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#ccc"/>`,
  ];
  for (const fraction of [0, 0.5, 1]) {
    const value = max * fraction;
    parts.push(
      `<text x="${MARGIN.left - 6}" y="${y(value) + 4}" text-anchor="end" font-size="11">${Number(value.toPrecision(3))}</text>`,
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${y(value)}" y2="${y(value)}" stroke="#eee"/>`,
    );
  }
  panel.series.forEach((series, i) => {
    const color = COLORS[i % COLORS.length] as string;
    const points = series.values
      .map((v, j) => (Number.isFinite(v) ? `${x(times[j] ?? 0).toFixed(1)},${y(v).toFixed(1)}` : ''))
      .filter(Boolean)
      .join(' ');
    parts.push(
      `<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${points}"/>`,
      `<text x="${WIDTH - MARGIN.right + 10}" y="${top + MARGIN.top + 14 + i * 16}" fill="${color}" font-size="12">${escape(series.label)}</text>`,
    );
  });
  return parts.join('\n');
}

/** The panels over a shared time axis (`times`: seconds since the start, one per sample). */
export function plotSvg(title: string, times: readonly number[], panels: readonly Panel[]): string {
  const height = 40 + panels.length * PANEL_HEIGHT + 20;
  const maxTime = Math.max(1, ...times);
  const axisY = height - 24;
  const body = panels.map((panel, i) => panelSvg(panel, 40 + i * PANEL_HEIGHT, times)).join('\n');
  const ticks = [0, 0.25, 0.5, 0.75, 1]
    .map((f) => {
      const px = MARGIN.left + f * (WIDTH - MARGIN.left - MARGIN.right);
      return `<text x="${px}" y="${axisY + 14}" text-anchor="middle" font-size="11">${((f * maxTime) / 60).toFixed(1)} min</text>`;
    })
    .join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" font-family="sans-serif" font-size="13">
<rect width="100%" height="100%" fill="white"/>
<text x="${MARGIN.left}" y="24" font-size="16" font-weight="bold">${escape(title)}</text>
${body}
${ticks}
</svg>
`;
}
