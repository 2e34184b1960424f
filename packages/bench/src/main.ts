#!/usr/bin/env node
// npm run bench [-- --json] [--only a,b] [--store sqlite,memory,postgres] [--profile DIR]
// [--history-sizes 1m,10m] [--minutes 30]: runs the scenarios and prints a table, or one JSON object per line with --json.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { errorMessage } from '@dist-exec/core';
import { postgresBinDir, startTestPostgres, type TestPostgres } from '@dist-exec/testing';
import type { Figure, StoreKind } from './scenario.js';

import { parseHistorySizes } from './scenarios/history.js';
import { SCENARIOS } from './scenarios/index.js';

const STORE_KINDS: readonly StoreKind[] = ['sqlite', 'memory', 'postgres'];
/**
 * The master's default store first; memory shows what durability costs;
 * PostgreSQL (a server the bench starts) where it is installed.
 */
const DEFAULT_STORES: StoreKind[] = postgresBinDir() ? ['sqlite', 'memory', 'postgres'] : ['sqlite', 'memory'];

const USAGE =
  'usage: npm run bench [-- --json] [--only a,b] [--store sqlite,memory,postgres] [--profile DIR] [--history-sizes 1m,10m] [--minutes 30]';
let parsed;
try {
  parsed = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      only: { type: 'string' },
      store: { type: 'string', default: DEFAULT_STORES.join(',') },
      profile: { type: 'string' },
      'history-sizes': { type: 'string', default: '1m,10m' },
      minutes: { type: 'string', default: '30' },
    },
  }).values;
} catch (error) {
  process.stderr.write(`bench: ${errorMessage(error)}\n${USAGE}\n`);
  process.exit(2);
}
const json = parsed.json ?? false;
let historySizes: number[] = [];
try {
  historySizes = parseHistorySizes(parsed['history-sizes'] ?? '');
} catch (error) {
  process.stderr.write(`bench: ${errorMessage(error)}\n`);
  process.exit(2);
}
const soakMinutes = Number(parsed.minutes);
if (!(soakMinutes > 0)) {
  process.stderr.write(`bench: --minutes: "${parsed.minutes ?? ''}" is not a positive number of minutes\n`);
  process.exit(2);
}
const only = parsed.only === undefined ? null : new Set(parsed.only.split(',').filter(Boolean));
if (only) {
  const unknown = [...only].filter((name) => !SCENARIOS.some((s) => s.name === name));
  if (unknown.length) {
    process.stderr.write(
      `bench: unknown scenario ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}\n`,
    );
    process.exit(2);
  }
}
const stores = (parsed.store ?? '').split(',').filter(Boolean);
const badStore = stores.find((store) => !(STORE_KINDS as readonly string[]).includes(store));
if (badStore !== undefined || stores.length === 0) {
  process.stderr.write(
    `bench: --store: "${badStore ?? ''}" is not a store; use one or more of ${STORE_KINDS.join(',')}\n`,
  );
  process.exit(2);
}
if (stores.includes('postgres') && !postgresBinDir()) {
  process.stderr.write('bench: --store postgres: PostgreSQL is not installed (apt-get install -y postgresql)\n');
  process.exit(2);
}
if (!DEFAULT_STORES.includes('postgres') && parsed.store === DEFAULT_STORES.join(','))
  process.stderr.write(
    'bench: PostgreSQL is not installed here: no postgres figures (apt-get install -y postgresql)\n',
  );

// One PostgreSQL server for the run, started when a scenario first needs it, durable as in production
// (fsync on, like SQLite's synchronous=FULL); each cluster gets a fresh database on it.
let postgres = null as Promise<TestPostgres> | null;
async function storeArgs(store: StoreKind): Promise<string[]> {
  if (store !== 'postgres') return ['--store', store];
  postgres ??= startTestPostgres({ durable: true });
  return ['--store', 'postgres', '--database-url', await (await postgres).createDatabase()];
}
// --profile: every master and worker writes a .cpuprofile there when it exits (open in Chrome DevTools,
// or summarise with profile-summary.js).
const childEnv: NodeJS.ProcessEnv = {};
if (parsed.profile) {
  const dir = resolve(parsed.profile);
  mkdirSync(dir, { recursive: true });
  const hook = fileURLToPath(new URL('./cpu-profile-hook.js', import.meta.url));
  childEnv.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --import=${hook}`.trim();
  childEnv.DIST_EXEC_BENCH_PROFILE_DIR = dir;
  process.stderr.write(`bench: CPU profiles of masters and workers go to ${dir}\n`);
}

function row(figure: Figure): string[] {
  const ratio = figure.baseline
    ? `${(figure.value / figure.baseline.value).toFixed(2)}x ${figure.baseline.name} (${figure.baseline.value})`
    : '';
  const params = figure.params
    ? Object.entries(figure.params)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')
    : '';
  return [figure.name, `${figure.value} ${figure.unit}`, ratio, figure.target ?? '', params];
}

const results = new Map<string, Figure>();
const rows: string[][] = [];
let failed = false;
// The whole suite must stay under 10 minutes: each scenario says what it took.
const suiteStart = Date.now();
for (const scenario of SCENARIOS) {
  if (only && !only.has(scenario.name)) continue;
  process.stderr.write(`bench: ${scenario.name}: ${scenario.description}\n`);
  const scenarioStart = Date.now();
  try {
    const figures = await scenario.run({
      results,
      stores: (stores as StoreKind[]).filter((store) => store !== 'postgres' || scenario.postgres),
      storeArgs,
      childEnv,
      log: (message) => process.stderr.write(`  ${message}\n`),
      historySizes,
      soakMinutes,
    });
    for (const figure of figures) {
      results.set(figure.name, figure);
      if (json)
        process.stdout.write(
          `${JSON.stringify({ ...figure.params, name: figure.name, value: figure.value, unit: figure.unit, ...(figure.baseline ? { baseline: figure.baseline.name, baselineValue: figure.baseline.value, ratio: figure.value / figure.baseline.value } : {}) })}\n`,
        );
      rows.push(row(figure));
    }
  } catch (error) {
    failed = true;
    process.stderr.write(`bench: ${scenario.name} failed: ${errorMessage(error)}\n`);
  }
  process.stderr.write(`bench: ${scenario.name} took ${((Date.now() - scenarioStart) / 1000).toFixed(0)} s\n`);
}
await (await postgres?.catch(() => null))?.destroy();
process.stderr.write(`bench: done in ${((Date.now() - suiteStart) / 1000).toFixed(0)} s\n`);
if (!json) {
  const headers = ['figure', 'value', 'vs baseline (same run)', 'target', 'params'];
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  process.stdout.write(`${[line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n')}\n`);
}
process.exit(failed ? 1 : 0);
