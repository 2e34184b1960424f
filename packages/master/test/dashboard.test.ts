import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { Master } from '@dist-exec/master';
import {
  httpRequest,
  startProgram,
  startTestCluster,
  tempDir,
  testLogger,
  toolsRequired,
  until,
  type TestCluster,
} from '@dist-exec/testing';

const CHROMIUM = '/usr/bin/chromium';
const OUTPUT_LIMIT = 64 * 1024;
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Screenshots of each view, kept as test artifacts (gitignored; CI can upload the folder). */
const ARTIFACTS = fileURLToPath(new URL('../../../test-artifacts/dashboard/', import.meta.url));

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Headless Chromium with a fresh profile directory (removed by the returned close). */
async function launch(): Promise<{ context: BrowserContext; page: Page; close(): Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'dist-exec-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1400, height: 1000 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

describe.skipIf(!existsSync(CHROMIUM) && !toolsRequired())('the dashboard in a real browser', () => {
  let cluster: TestCluster;
  let browser: Awaited<ReturnType<typeof launch>>;
  let page: Page;
  let base: string;
  let replacement: Master | null = null;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    // A small output limit, so a job can go over it; retries right away.
    cluster = await startTestCluster({
      workers: 2,
      worker: { labels: { zone: 'a' } },
      master: { outputLimitBytes: OUTPUT_LIMIT, retryBackoffBaseMs: 10, retryBackoffCapMs: 20 },
    });
    base = `http://127.0.0.1:${cluster.master.httpPort}`;
    browser = await launch();
    page = browser.page;
    page.on('pageerror', (error) => pageErrors.push(error.message));
    // As `dist-exec up` prints it: the token in the fragment, which the browser never sends.
    await page.goto(`${base}/#token=${cluster.adminToken}`);
  });
  afterAll(async () => {
    await browser?.close();
    await cluster?.stop();
    await replacement?.stop();
  });

  const text = async (selector: string): Promise<string> => (await page.locator(selector).textContent()) ?? '';
  /** The overview, read afresh (a change of the fragment alone would not load the page again). */
  const overview = async (query = ''): Promise<void> => {
    await page.goto(`${base}/${query}#/`);
    await page.reload();
    await until(async () => (await text('#conn-text')) === 'live', { message: 'the live feed to connect' });
  };
  const jobState = (state: string, message = `the job page to show ${state}`) =>
    until(async () => (await text('#job-state')) === state, { message });

  it('takes the token from the link and removes it from the address bar', async () => {
    await until(async () => (await text('#conn-text')) === 'live', { message: 'the live feed to connect' });
    expect(page.url()).not.toContain('token');
    // Evaluated in the page (a string, so this file needs no DOM types).
    expect(await page.evaluate("sessionStorage.getItem('dist-exec.token')")).toBe(cluster.adminToken);
    expect(await page.evaluate('document.cookie')).toBe('');
    expect(await page.locator('#signin').isHidden()).toBe(true);
  });

  it('shows the nodes with their health, heartbeat and capacity, pushed live', async () => {
    await until(async () => (await text('#conn-text')) === 'live', { message: 'the live feed to connect' });
    const rows = page.locator('#nodes tbody tr');
    await until(async () => (await rows.count()) === 2, { message: 'two nodes in the table' });
    const first = await text('#nodes tbody tr[data-node="worker-1"]');
    expect(first).toContain('HEALTHY');
    expect(first).toContain('0/4');
    expect(first).toMatch(/ago/);
    expect(first).toContain('zone=a');
    expect(await text('#stat-slots')).toBe('0 / 8');
  });

  it('submits a job from the form and opens its page, which shows it run to completion with its output', async () => {
    await page.fill(
      '#command',
      'echo "hello from $DIST_EXEC_NODE_ID"; sleep 0.3; echo done-$((6*7)); echo careful >&2',
    );
    await page.fill('#timeout', '1m');
    await page.click('#submit-button');
    await page.locator('#job-view').waitFor({ state: 'visible' });
    expect(await page.locator('#overview').isHidden()).toBe(true);
    await jobState('COMPLETED');
    await until(async () => (await text('#output')).includes('done-42'), { message: 'the output to arrive' });
    // The two streams arrive through separate pipes: their relative order is not fixed, each one's is.
    const stdout = (await page.locator('#output .stdout').allTextContents()).join('');
    const stderr = (await page.locator('#output .stderr').allTextContents()).join('');
    expect(stdout).toMatch(/^hello from worker-[12]\ndone-42\n$/);
    expect(stderr).toBe('careful\n');
    expect(await text('#job-facts')).toContain('Timeout1m');
    expect(await text('#job-facts')).toContain('Submitted byadmin');
    // One date format everywhere: local time, ISO order.
    expect(await text('#job-facts')).toMatch(/Created\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
    const id = (await text('#job-id')).trim();
    expect(new URL(page.url()).hash).toBe(`#/jobs/${id}`);
    const job = (await httpRequest(`${base}/api/v1/jobs/${id}`, { token: cluster.adminToken })).json as {
      state: string;
      timeoutMs: number;
      submittedBy: string;
    };
    expect(job).toMatchObject({ state: 'COMPLETED', timeoutMs: 60_000, submittedBy: 'admin' });
    await until(async () => (await text(`#jobs tbody tr[data-job="${id}"]`)).includes('COMPLETED'), {
      message: 'the job row to show COMPLETED',
    });
    await shot(page, 'job-page');
  });

  it('adds jobs submitted elsewhere to the list without a reload, and updates their state', async () => {
    await overview();
    const navigations: string[] = [];
    page.on('framenavigated', (frame) => navigations.push(frame.url()));
    const { job } = await cluster.client.submit({ command: 'sleep 0.5; echo from-the-cli' });
    const row = `#jobs tbody tr[data-job="${job.id}"]`;
    await until(async () => (await page.locator(row).count()) === 1, { message: 'the new job in the list' });
    await until(async () => (await text(row)).includes('COMPLETED'), { message: 'the row to turn COMPLETED' });
    expect(navigations.filter((url) => !url.includes('#'))).toEqual([]);
  });

  it('says on the job page when output went over the limit, and shows each attempt with its node and peak memory', async () => {
    const { job } = await cluster.client.submit({
      command: `head -c ${4 * OUTPUT_LIMIT} /dev/zero | tr '\\0' x; echo; echo FINAL-LINE`,
    });
    await page.goto(`${base}/#/jobs/${job.id}`);
    await jobState('COMPLETED');
    await until(async () => (await text('#output')).includes('FINAL-LINE'), { message: 'the tail to arrive' });
    expect(await text('#output')).toMatch(/\[dist-exec: \d+ bytes of stdout dropped here/);
    await until(async () => page.locator('#output-cut').isVisible(), { message: 'the note on the cut' });
    expect(await text('#output-cut')).toMatch(/[\d.]+ KiB of stdout dropped from the middle/);
    const done = await cluster.client.getJob(job.id);
    expect(done.stdoutDroppedBytes).toBeGreaterThan(0);
    const attempt = await text('#attempts tbody tr[data-attempt="1"]');
    expect(attempt).toContain(done.attemptHistory[0]?.nodeId);
    expect(attempt).toContain('succeeded');
    if ((done.attemptHistory[0]?.peakMemoryBytes ?? 0) > 0) expect(attempt).toMatch(/\d+(\.\d)? (KiB|MiB)/);
  });

  it('shows a retried job’s attempts with their reasons, its labels, cwd and env names (never values), and runs it again', async () => {
    const { job } = await cluster.client.submit({
      command: 'echo "try on $DIST_EXEC_NODE_ID"; exit 4',
      maxRetries: 1,
      retryOnFailure: true,
      cwd: '/tmp',
      labels: { team: 'web' },
      env: { SECRET_TOKEN: 'hunter2-not-for-eyes' },
    });
    await page.goto(`${base}/#/jobs/${job.id}`);
    await jobState('FAILED');
    await until(async () => (await page.locator('#attempts tbody tr').count()) === 2, { message: 'two attempts' });
    expect(await text('#attempts tbody tr[data-attempt="2"]')).toContain('exit 4');
    const facts = await text('#job-facts');
    expect(facts).toContain('Cwd/tmp');
    expect(facts).toContain('team=web');
    expect(facts).toContain('EnvSECRET_TOKEN');
    expect(await page.content()).not.toContain('hunter2');
    await page.click('#rerun-button');
    await until(async () => new URL(page.url()).hash !== `#/jobs/${job.id}` || null, { message: 'the new job page' });
    const again = new URL(page.url()).hash.slice('#/jobs/'.length);
    await jobState('FAILED', 'the re-run to fail the same way');
    expect(await text('#job-facts')).toContain('EnvSECRET_TOKEN');
    // The same spec, env values included (they stayed on the master).
    const rerun = await httpRequest(`${base}/api/v1/jobs/${again}?env=true`, { token: cluster.adminToken });
    expect(rerun.json).toMatchObject({ env: { SECRET_TOKEN: 'hunter2-not-for-eyes' }, cwd: '/tmp', maxRetries: 1 });
    await shot(page, 'job-page-retried');
  });

  it('says so for an unknown job id', async () => {
    await page.goto(`${base}/#/jobs/01900000-0000-7000-8000-000000000000`);
    await until(async () => page.locator('#job-missing').isVisible(), { message: 'the unknown-job note' });
    expect(await text('#job-missing-text')).toMatch(/not found/);
    expect(await page.locator('#job-body').isHidden()).toBe(true);
    // The end of an id, as the list shows it, opens the job it names.
    const [known] = (await cluster.client.listJobs({ pageSize: 1 })).jobs;
    await page.goto(`${base}/#/jobs/${known?.id.slice(-8)}`);
    await until(async () => new URL(page.url()).hash === `#/jobs/${known?.id}` || null, { message: 'the full id' });
    await until(async () => (await text('#job-id')) === known?.id, { message: 'its page' });
    await page.locator('#job-body').waitFor({ state: 'visible' });
  });

  it('follows the output of a running job live and cancels it with the button', async () => {
    await overview();
    await page.fill('#command', 'i=0; while true; do i=$((i+1)); echo "tick $i"; sleep 0.2; done');
    await page.fill('#timeout', '');
    await page.click('#submit-button');
    await jobState('RUNNING', 'the job to run');
    await until(async () => (await text('#output')).includes('tick 3'), { message: 'output to arrive while it runs' });
    expect(await text('#job-state')).toBe('RUNNING');
    await page.click('#cancel-button');
    await jobState('CANCELLED', 'the job to be cancelled');
    expect(await page.locator('#cancel-button').isHidden()).toBe(true);
    const id = (await text('#job-id')).trim();
    await until(async () => ((await cluster.client.getJob(id)).state === 'CANCELLED' ? true : null), {
      message: 'the master to agree',
    });
  });

  it('says what is wrong with bad input and keeps the page usable', async () => {
    await overview();
    await page.fill('#command', 'true');
    await page.fill('#timeout', 'soon');
    await page.click('#submit-button');
    await until(async () => page.locator('#submit-error').isVisible(), { message: 'an error message' });
    expect(await text('#submit-error')).toMatch(/timeout/);
    await page.fill('#timeout', '');
    await page.click('#submit-button');
    await jobState('COMPLETED', 'the corrected job to complete');
  });

  it('shows a node’s page: capacity, labels, its running jobs and recent failures; drains and undrains it', async () => {
    // A node of its own, so the jobs that ran there are known.
    const nodeId = 'worker-special';
    await cluster.addWorker({ id: nodeId, labels: { role: 'special' } });
    const { job: failed } = await cluster.client.submit({ command: 'exit 5', constraints: { role: 'special' } });
    await until(async () => ((await cluster.client.getJob(failed.id)).state === 'FAILED' ? true : null), {
      message: 'the failing job to fail',
    });
    const { job: sleeper } = await cluster.client.submit({ command: 'sleep 60', constraints: { role: 'special' } });
    await overview();
    await page.click(`#nodes tbody tr[data-node="${nodeId}"] a`);
    await page.locator('#node-view').waitFor({ state: 'visible' });
    expect(new URL(page.url()).hash).toBe(`#/nodes/${nodeId}`);
    const facts = await text('#node-facts');
    expect(facts).toContain('role=special');
    expect(facts).toMatch(/Task slots\d \/ 4/);
    await until(async () => (await page.locator(`#node-running tr[data-job="${sleeper.id}"]`).count()) === 1, {
      message: 'the sleeping job among those running here',
    });
    expect(await page.locator(`#node-failures tr[data-job="${failed.id}"]`).count()).toBe(1);
    await page.click('#drain-button');
    await until(async () => (await text('#node-state')) === 'DRAINING', { message: 'the node to drain' });
    expect(cluster.master.nodes.list().find((n) => n.id === nodeId)?.draining).toBe(true);
    await shot(page, 'node-page');
    await page.click('#undrain-button');
    await until(async () => (await page.locator('#drain-button').isVisible()) || null, { message: 'undrained' });
    expect(cluster.master.nodes.list().find((n) => n.id === nodeId)?.draining).toBe(false);
    await cluster.client.cancel(sleeper.id);
    await page.goto(`${base}/#/nodes/no-such-node`);
    await until(async () => page.locator('#node-missing').isVisible(), { message: 'the unknown-node note' });
  });

  it('folds an array into one row with its counts, pages through 200 jobs, and keeps the page short', async () => {
    const arrayId = randomUUID();
    const specs = Array.from({ length: 200 }, (_, i) => ({
      command: i < 2 ? 'exit 3' : 'true',
      labels: { 'dist-exec.array': arrayId, 'dist-exec.array-index': String(i + 1) },
    }));
    await cluster.client.submitManyIds(specs);
    await overview();
    const group = page.locator(`#jobs tr.array[data-array="${arrayId}"]`);
    await until(async () => (await text(`#jobs tr.array[data-array="${arrayId}"]`)).includes('198 done, 2 failed'), {
      timeoutMs: 60_000,
      message: 'the array row with its counts',
    });
    expect(await group.count()).toBe(1);
    expect(await text(`#jobs tr.array[data-array="${arrayId}"]`)).toContain(`…${arrayId.slice(-8)}[1-200]`);
    // 200 jobs: the page stays a screen or two tall, the list scrolls inside its panel.
    await group.locator('button.toggle').click();
    await until(async () => (await page.locator('#jobs tr.member').count()) === 200, { message: 'the members' });
    expect(await page.evaluate('document.documentElement.scrollHeight')).toBeLessThan(2500);
    await shot(page, 'overview-array');
    // Paging: the first page is 50 jobs, all of this array.
    expect(await text('#jobs-status')).toMatch(/^1–50 of \d+/);
    await page.click('#older');
    await until(async () => /^51–100 of/.test(await text('#jobs-status')), { message: 'the second page' });
    await page.click('#newer');
    await until(async () => /^1–50 of/.test(await text('#jobs-status')), { message: 'the first page again' });
  });

  it('searches by command words, id end and label, with filters in the address that back and forward restore', async () => {
    const { job: needle } = await cluster.client.submit({
      command: 'echo needle-in-the-haystack',
      labels: { k: 'v1' },
    });
    await overview();
    await page.fill('#search', 'NEEDLE-in');
    await page.click('#search-button');
    await until(async () => (await page.locator('#jobs tbody tr').count()) === 1, { message: 'one match' });
    expect(await page.locator(`#jobs tbody tr[data-job="${needle.id}"]`).count()).toBe(1);
    expect(new URL(page.url()).searchParams.get('q')).toBe('NEEDLE-in');
    await page.fill('#search', needle.id.slice(-8));
    await page.click('#search-button');
    await until(async () => (await page.locator(`#jobs tbody tr[data-job="${needle.id}"]`).count()) === 1, {
      message: 'found by the end of its id',
    });
    await page.fill('#search', 'k=v1');
    await page.click('#search-button');
    await until(async () => (await page.locator('#jobs tbody tr').count()) === 1, { message: 'found by label' });
    expect(new URL(page.url()).searchParams.get('label')).toBe('k=v1');
    await page.click('#filters button[data-filter="CANCELLED"]');
    await until(async () => (await page.locator('#jobs tbody tr').count()) === 0, { message: 'no cancelled k=v1' });
    expect(page.url()).toContain('state=CANCELLED');
    await page.goBack();
    await until(async () => (await page.locator('#jobs tbody tr').count()) === 1, { message: 'back: k=v1 again' });
    await page.goBack();
    await until(async () => (await page.locator(`#jobs tbody tr[data-job="${needle.id}"]`).count()) === 1, {
      message: 'back: the id search',
    });
    expect(await page.inputValue('#search')).toBe(needle.id.slice(-8));
    await page.goForward();
    await until(async () => (await page.inputValue('#search')) === 'k=v1', { message: 'forward: the label search' });
    // A link with filters opens them.
    await overview('?state=cancelled');
    await until(
      async () => {
        const states = await page.locator('#jobs tbody tr .badge').allTextContents();
        return states.length > 0 && states.every((s) => s === 'CANCELLED');
      },
      { message: 'only cancelled jobs' },
    );
    expect(await page.locator('#filters button[data-filter="CANCELLED"]').getAttribute('aria-pressed')).toBe('true');
  });

  it('draws the last 15 minutes: jobs per second, queue depth and slots in use', async () => {
    await overview();
    await until(async () => (await page.locator('#charts figure').count()) === 3, { message: 'three charts' });
    const slots = String(cluster.master.nodes.list().reduce((sum, n) => sum + n.maxTasks, 0));
    await until(async () => (await text('#chart-slots .key.total b')) === slots, { message: `${slots} slots in all` });
    expect(await page.locator('#chart-jobs .series.started polyline').count()).toBeGreaterThan(0);
    const activity = (await httpRequest(`${base}/api/v1/activity`, { token: cluster.adminToken })).json as {
      started: number[];
      completed: number[];
      failed: number[];
    };
    expect(activity.started).toHaveLength(900);
    expect(activity.completed.reduce((a, b) => a + b, 0)).toBeGreaterThan(200);
    expect(activity.failed.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(4);
    expect((await httpRequest(`${base}/api/v1/activity`)).status).toBe(401);
    await shot(page, 'overview');
  });

  it('works at phone width: no sideways scrolling, and a tapped job opens its own page at the top', async () => {
    const phone = await browser.context.newPage();
    try {
      await phone.setViewportSize({ width: 390, height: 844 });
      // A new tab has no token yet (it is kept per tab): the link brings it.
      await phone.goto(`${base}/#token=${cluster.adminToken}`);
      await until(async () => (await phone.locator('#jobs tbody tr').count()) > 0, { message: 'the list' });
      expect(await phone.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
      await shot(phone, 'phone-overview');
      const row = phone.locator('#jobs tbody tr[data-job]').first();
      const id = await row.getAttribute('data-job');
      await row.locator('td.cmd').click();
      await phone.locator('#job-view').waitFor({ state: 'visible' });
      expect(new URL(phone.url()).hash).toBe(`#/jobs/${id}`);
      const box = await phone.locator('#job-view').boundingBox();
      expect(box?.y).toBeLessThan(200);
      expect(await phone.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
      await shot(phone, 'phone-job');
    } finally {
      await phone.close();
    }
  });

  it('asks for a token once in a new tab, and keeps it for the tab', async () => {
    const tab = await browser.context.newPage();
    try {
      // A fresh tab: sessionStorage is per tab, so it has no token.
      await tab.goto(`${base}/`);
      await tab.locator('#signin').waitFor({ state: 'visible' });
      expect(await tab.locator('#main').isHidden()).toBe(true);
      await tab.fill('#token', 'dxt_' + 'x'.repeat(43));
      await tab.click('#signin-button');
      await until(async () => (await tab.locator('#signin-error').textContent()) ?? '', {
        message: 'a wrong token to be refused',
      });
      expect(await tab.locator('#signin-error').textContent()).toMatch(/unknown token/);
      await tab.fill('#token', cluster.adminToken);
      await tab.click('#signin-button');
      await until(async () => (await tab.locator('#conn-text').textContent()) === 'live', {
        message: 'the feed to connect with the right token',
      });
      await tab.reload();
      await until(async () => (await tab.locator('#conn-text').textContent()) === 'live', {
        message: 'the token to be kept for the tab',
      });
      expect(await tab.locator('#signin').isHidden()).toBe(true);
    } finally {
      await tab.close();
    }
  });

  it('says when the master is down, turns submit off, and recovers by itself when it is back', async () => {
    await overview();
    const httpPort = cluster.master.httpPort;
    const options = cluster.master.options;
    await cluster.master.stop();
    await until(async () => page.locator('#down-banner').isVisible(), { message: 'the down banner' });
    expect(await page.locator('#submit-button').isDisabled()).toBe(true);
    expect(await text('#conn-text')).toBe('reconnecting…');
    await shot(page, 'master-down');
    // The same master again on the same port (same data dir, so the same admin token).
    // On the same ports, so the workers find it again too.
    const port = Number(cluster.address.split(':').at(-1));
    replacement = new Master(
      {
        host: '127.0.0.1',
        port,
        httpPort,
        store: 'memory',
        heartbeatIntervalMs: 200,
        dataDir: options.dataDir,
        workerTokenFile: options.workerTokenFile,
      },
      { logger: testLogger() },
    );
    await replacement.start();
    await until(async () => page.locator('#down-banner').isHidden(), { timeoutMs: 30_000, message: 'recovery' });
    expect(await page.locator('#submit-button').isDisabled()).toBe(false);
    await page.fill('#command', 'echo back');
    await page.click('#submit-button');
    await jobState('COMPLETED', 'a job submitted to the master that is back to complete');
  });

  it('ran without script errors', () => {
    expect(pageErrors).toEqual([]);
  });
});

describe.skipIf(!existsSync(CHROMIUM) && !toolsRequired())(
  "the dashboard of `dist-exec up` (npm start's cluster)",
  () => {
    it('opens from the link up prints, runs a job submitted in the page and shows its output', async () => {
      const up = startProgram(
        'cli',
        ['up', '--workers', '2', '--port', '0', '--http-port', '0', '--store', 'memory', '--log-level', 'warn'],
        {},
        { cwd: tempDir() },
      );
      const browser = await launch();
      try {
        // `up` starts a master and two workers while the browser starts too: slow on a loaded machine.
        const line = await until(() => up.logs.find((l) => /^Dashboard: /.test(String(l.msg))), {
          timeoutMs: 90_000,
          message: 'the dashboard link',
        });
        const url = /(http:\/\/\S+#token=dxt_\S+)/.exec(String(line.msg))?.[1] as string;
        const { page } = browser;
        await page.goto(url);
        await until(async () => (await page.locator('#nodes tbody tr').count()) === 2, {
          message: 'both workers on the page',
        });
        await page.fill('#command', 'echo "ran on $DIST_EXEC_NODE_ID"; sleep 0.5; echo finished');
        await page.click('#submit-button');
        await until(
          async () =>
            (await page.locator('#job-state').textContent()) === 'RUNNING' ||
            (await page.locator('#job-state').textContent()) === 'COMPLETED',
          {
            message: 'the job to start',
          },
        );
        await until(async () => (await page.locator('#job-state').textContent()) === 'COMPLETED', {
          message: 'the job to complete',
        });
        await until(
          async () => /^ran on worker-[12]\nfinished\n$/.test((await page.locator('#output').textContent()) ?? ''),
          { message: 'its output' },
        );
      } finally {
        await browser.close();
        up.kill('SIGINT');
        await up.exited;
      }
    });
  },
);
