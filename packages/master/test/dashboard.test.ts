import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  httpRequest,
  startProgram,
  startTestCluster,
  tempDir,
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
  const pageErrors: string[] = [];

  beforeAll(async () => {
    // A small output limit, so a job can go over it.
    cluster = await startTestCluster({
      workers: 2,
      worker: { labels: { zone: 'a' } },
      master: { outputLimitBytes: OUTPUT_LIMIT },
    });
    browser = await launch();
    page = browser.page;
    page.on('pageerror', (error) => pageErrors.push(error.message));
    // As `dist-exec up` prints it: the token in the fragment, which the browser never sends.
    await page.goto(`http://127.0.0.1:${cluster.master.httpPort}/#token=${cluster.adminToken}`);
  });
  afterAll(async () => {
    await browser?.close();
    await cluster?.stop();
  });

  const text = async (selector: string): Promise<string> => (await page.locator(selector).textContent()) ?? '';

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

  it('submits a job from the form, and shows it run to completion with its output', async () => {
    await page.fill(
      '#command',
      'echo "hello from $DIST_EXEC_NODE_ID"; sleep 0.3; echo done-$((6*7)); echo careful >&2',
    );
    await page.fill('#timeout', '1m');
    await page.click('#submit-button');
    const detail = page.locator('#detail');
    await detail.waitFor({ state: 'visible' });
    await until(async () => (await text('#detail-state')) === 'COMPLETED', {
      message: 'the job to complete in the detail panel',
    });
    await until(async () => (await text('#output')).includes('done-42'), { message: 'the output to arrive' });
    // The two streams arrive through separate pipes: their relative order is not fixed, each one's is.
    const stdout = (await page.locator('#output .stdout').allTextContents()).join('');
    const stderr = (await page.locator('#output .stderr').allTextContents()).join('');
    expect(stdout).toMatch(/^hello from worker-[12]\ndone-42\n$/);
    expect(stderr).toBe('careful\n');
    expect(await text('#detail-facts')).toContain('Timeout1m');
    expect(await text('#detail-facts')).toContain('Submitted byadmin');
    const id = (await text('#detail-id')).trim();
    expect(new URL(page.url()).hash).toBe(`#/jobs/${id}`);
    // The same job, as the API sees it.
    const job = (
      await httpRequest(`http://127.0.0.1:${cluster.master.httpPort}/api/v1/jobs/${id}`, { token: cluster.adminToken })
    ).json as {
      state: string;
      timeoutMs: number;
      submittedBy: string;
    };
    expect(job).toMatchObject({ state: 'COMPLETED', timeoutMs: 60_000, submittedBy: 'admin' });
    await until(async () => (await text(`#jobs tbody tr[data-job="${id}"]`)).includes('COMPLETED'), {
      message: 'the job row to show COMPLETED',
    });
  });

  it('adds jobs submitted elsewhere to the list without a reload, and updates their state', async () => {
    const navigations: string[] = [];
    page.on('framenavigated', (frame) => navigations.push(frame.url()));
    const { job } = await cluster.client.submit({ command: 'sleep 0.5; echo from-the-cli' });
    const row = `#jobs tbody tr[data-job="${job.id}"]`;
    await until(async () => (await page.locator(row).count()) === 1, { message: 'the new job in the list' });
    await until(async () => (await text(row)).includes('COMPLETED'), { message: 'the row to turn COMPLETED' });
    expect(navigations.filter((url) => !url.includes('#'))).toEqual([]);
  });

  it('says when output went over the limit: the cut in the log, what was dropped in the facts', async () => {
    const { job } = await cluster.client.submit({
      command: `head -c ${4 * OUTPUT_LIMIT} /dev/zero | tr '\\0' x; echo; echo FINAL-LINE`,
    });
    await page.goto(`http://127.0.0.1:${cluster.master.httpPort}/#/jobs/${job.id}`);
    await until(async () => (await text('#detail-state')) === 'COMPLETED', { message: 'the job to complete' });
    await until(async () => (await text('#output')).includes('FINAL-LINE'), { message: 'the tail to arrive' });
    expect(await text('#output')).toMatch(/\[dist-exec: \d+ bytes of stdout dropped here/);
    await until(async () => (await text('#detail-facts')).includes('Output cut'), { message: 'the cut in the facts' });
    expect(await text('#detail-facts')).toMatch(/Output cut[\d.]+ KiB of stdout dropped from the middle/);
    const done = await cluster.client.getJob(job.id);
    expect(done.stdoutDroppedBytes).toBeGreaterThan(0);
    if ((done.attemptHistory[0]?.peakMemoryBytes ?? 0) > 0)
      expect(await text('#detail-facts')).toContain('Resourcespeak memory');
  });

  it('follows the output of a running job live and cancels it with the button', async () => {
    await page.fill('#command', 'i=0; while true; do i=$((i+1)); echo "tick $i"; sleep 0.2; done');
    await page.fill('#timeout', '');
    await page.click('#submit-button');
    await until(async () => (await text('#detail-state')) === 'RUNNING', { message: 'the job to run' });
    await until(async () => (await text('#output')).includes('tick 3'), { message: 'output to arrive while it runs' });
    expect(await text('#detail-state')).toBe('RUNNING');
    await page.click('#cancel-button');
    await until(async () => (await text('#detail-state')) === 'CANCELLED', { message: 'the job to be cancelled' });
    expect(await page.locator('#cancel-button').isHidden()).toBe(true);
    const id = (await text('#detail-id')).trim();
    await until(async () => ((await cluster.client.getJob(id)).state === 'CANCELLED' ? true : null), {
      message: 'the master to agree',
    });
  });

  it('says what is wrong with bad input and keeps the page usable', async () => {
    await page.fill('#command', 'true');
    await page.fill('#timeout', 'soon');
    await page.click('#submit-button');
    await until(async () => page.locator('#submit-error').isVisible(), { message: 'an error message' });
    expect(await text('#submit-error')).toMatch(/timeout/);
    await page.fill('#timeout', '');
    await page.click('#submit-button');
    await until(async () => page.locator('#submit-error').isHidden(), { message: 'the error to clear' });
    await until(async () => (await text('#detail-state')) === 'COMPLETED', {
      message: 'the corrected job to complete',
    });
  });

  it('asks for a token once in a new tab, and keeps it for the tab', async () => {
    const tab = await browser.context.newPage();
    try {
      await tab.goto(`http://127.0.0.1:${cluster.master.httpPort}/`);
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

  it('filters the list by state and ran without script errors', async () => {
    await page.click('#filters button[data-filter="CANCELLED"]');
    await until(
      async () => {
        const states = await page.locator('#jobs tbody tr .badge').allTextContents();
        return states.length === 1 && states[0] === 'CANCELLED';
      },
      { message: 'only the cancelled job' },
    );
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
            (await page.locator('#detail-state').textContent()) === 'RUNNING' ||
            (await page.locator('#detail-state').textContent()) === 'COMPLETED',
          {
            message: 'the job to start',
          },
        );
        await until(async () => (await page.locator('#detail-state').textContent()) === 'COMPLETED', {
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
