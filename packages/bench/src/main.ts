#!/usr/bin/env node
// npm run bench [-- --json] [-- --only a,b]: runs the scenarios and prints a table,
// or one JSON object per line with --json.
import { errorMessage } from '@dist-exec/core';
import { type Figure } from './scenario.js';
import { SCENARIOS } from './scenarios/index.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const onlyAt = args.indexOf('--only');
const only = onlyAt >= 0 ? new Set((args[onlyAt + 1] ?? '').split(',').filter(Boolean)) : null;
if (only) {
  const unknown = [...only].filter((name) => !SCENARIOS.some((s) => s.name === name));
  if (unknown.length) {
    process.stderr.write(`bench: unknown scenario ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}\n`);
    process.exit(2);
  }
}

function row(figure: Figure): string[] {
  const ratio = figure.baseline ? `${(figure.value / figure.baseline.value).toFixed(2)}x ${figure.baseline.name} (${figure.baseline.value})` : '';
  const params = figure.params ? Object.entries(figure.params).map(([k, v]) => `${k}=${v}`).join(' ') : '';
  return [figure.name, `${figure.value} ${figure.unit}`, ratio, figure.target ?? '', params];
}

const results = new Map<string, Figure>();
const rows: string[][] = [];
let failed = false;
for (const scenario of SCENARIOS) {
  if (only && !only.has(scenario.name)) continue;
  process.stderr.write(`bench: ${scenario.name}: ${scenario.description}\n`);
  try {
    const figures = await scenario.run({ results, log: (message) => process.stderr.write(`  ${message}\n`) });
    for (const figure of figures) {
      results.set(figure.name, figure);
      if (json) process.stdout.write(`${JSON.stringify({ ...figure.params, name: figure.name, value: figure.value, unit: figure.unit, ...(figure.baseline ? { baseline: figure.baseline.name, baselineValue: figure.baseline.value, ratio: figure.value / figure.baseline.value } : {}) })}\n`);
      rows.push(row(figure));
    }
  } catch (error) {
    failed = true;
    process.stderr.write(`bench: ${scenario.name} failed: ${errorMessage(error)}\n`);
  }
}
if (!json) {
  const headers = ['figure', 'value', 'vs baseline (same run)', 'target', 'params'];
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  process.stdout.write(`${[line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n')}\n`);
}
process.exit(failed ? 1 : 0);
