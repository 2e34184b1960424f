import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROGRAMS, runCli, startProgram, startTestCluster, until, type TestCluster } from '@dist-exec/testing';

/** Runs the CLI with stderr and stdout on a pseudo-terminal (util-linux `script`), as a person at a terminal would. */
function runCliOnTerminal(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; output: string }> {
  const command = [process.execPath, PROGRAMS.cli, ...args].map((word) => `'${word.replace(/'/g, `'\\''`)}'`).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qfec', command, '/dev/null'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    const out: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => out.push(d));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output: Buffer.concat(out).toString() }));
  });
}

describe('dist-exec run --array and dist-exec wait', () => {
  let cluster: TestCluster;
  let env: NodeJS.ProcessEnv;
  let stateDir: string;

  beforeAll(async () => {
    cluster = await startTestCluster({ workers: 2, worker: { maxTasks: 8 } });
    // The keys of the arrays go to a state dir of the test's own, not the home of whoever runs it.
    stateDir = mkdtempSync(join(tmpdir(), 'dist-exec-cli-state-'));
    env = { DIST_EXEC_MASTER: cluster.address, DIST_EXEC_TOKEN: cluster.adminToken, XDG_STATE_HOME: stateDir };
  });
  afterAll(async () => {
    await cluster?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('runs a job per index with the index in the environment, prints each output whole, and exits with the highest status', async () => {
    const result = await runCli(
      [
        'run',
        '--array',
        '1-6',
        'echo "index $DIST_EXEC_ARRAY_INDEX"; case $DIST_EXEC_ARRAY_INDEX in 3) exit 4;; 5) exit 2;; esac',
      ],
      env,
    );
    expect(result.code).toBe(4);
    expect(result.stdout.toString().split('\n').filter(Boolean).sort()).toEqual([
      'index 1',
      'index 2',
      'index 3',
      'index 4',
      'index 5',
      'index 6',
    ]);
    expect(result.stderr).toMatch(/^dist-exec: job [0-9a-f-]{36} \[3\] FAILED: exit code 4$/m);
    expect(result.stderr).toMatch(/^dist-exec: job [0-9a-f-]{36} \[5\] FAILED: exit code 2$/m);
    expect(result.stderr).toContain('6 jobs: 4 completed, 2 failed\n');
    // Not a terminal: no progress bar, no control characters.
    expect(result.stderr).not.toContain('\x1b');
  });

  it('--detach prints the ids in index order; wait reads them from stdin and exits 0 when all completed', async () => {
    const detached = await runCli(
      ['run', '--array', '0-30:10', '--detach', '--label', 'team=infra', 'echo $DIST_EXEC_ARRAY_INDEX'],
      env,
    );
    expect(detached.code).toBe(0);
    const ids = detached.stdout.toString().trim().split('\n');
    expect(ids).toHaveLength(4);
    const jobs = await Promise.all(ids.map((id) => cluster.client.getJob(id, { env: true })));
    expect(jobs.map((job) => job.spec.env.DIST_EXEC_ARRAY_INDEX)).toEqual(['0', '10', '20', '30']);
    expect(new Set(jobs.map((job) => job.spec.env.DIST_EXEC_ARRAY_ID)).size).toBe(1);
    expect(
      jobs.every(
        (job) =>
          job.spec.labels.team === 'infra' &&
          job.spec.labels['dist-exec.array-index'] === job.spec.env.DIST_EXEC_ARRAY_INDEX,
      ),
    ).toBe(true);

    const waited = await runCli(['wait', '--output'], env, `${ids.join('\n')}\n`);
    expect(waited.code).toBe(0);
    expect(waited.stdout.toString().split('\n').filter(Boolean).sort()).toEqual(['0', '10', '20', '30']);
    expect(waited.stderr).toBe('4 jobs: 4 completed\n');
    const json = JSON.parse((await runCli(['wait', '--json', ...ids], env)).stdout.toString()) as {
      id: string;
      state: string;
    }[];
    expect(json.map((job) => [job.id, job.state])).toEqual(ids.map((id) => [id, 'COMPLETED']));
  });

  it('--wait prints no output; --json prints every job with its output, in index order', async () => {
    const waited = await runCli(['run', '--array', '1-3', '--wait', 'echo hidden; exit $DIST_EXEC_ARRAY_INDEX'], env);
    expect(waited.code).toBe(3);
    expect(waited.stdout.toString()).toBe('');
    expect(waited.stderr).toContain('3 jobs: 3 failed\n');
    const json = await runCli(['run', '--array', '5,2,9', '--json', 'echo out-$DIST_EXEC_ARRAY_INDEX'], env);
    expect(json.code).toBe(0);
    const jobs = JSON.parse(json.stdout.toString()) as {
      state: string;
      stdout: string;
      labels: Record<string, string>;
    }[];
    expect(jobs.map((job) => [job.labels['dist-exec.array-index'], job.state, job.stdout])).toEqual([
      ['5', 'COMPLETED', 'out-5\n'],
      ['2', 'COMPLETED', 'out-2\n'],
      ['9', 'COMPLETED', 'out-9\n'],
    ]);
  });

  it('a repeated submit with the same --idempotency-key returns the same jobs', async () => {
    const key = `nightly-${Date.now()}`;
    const first = await runCli(['run', '--array', '1-3', '-d', '--idempotency-key', key, 'true'], env);
    expect(first.stdout.toString().trim().split('\n')).toHaveLength(3);
    const second = await runCli(['run', '--array', '1-3', '-d', '--idempotency-key', key, 'true'], env);
    expect(second.stdout.toString()).toBe(first.stdout.toString());
  });

  it('refuses a bad range or unknown ids with one line and submits nothing', async () => {
    const before = (await cluster.client.listJobs()).totalCount;
    for (const range of ['1-x', '9-1', '1-10%2']) {
      const result = await runCli(['run', '--array', range, 'true'], env);
      expect(result.code).toBe(125);
      expect(result.stderr).toMatch(/^dist-exec: --array: [^\n]+\n$/);
    }
    expect((await cluster.client.listJobs()).totalCount).toBe(before);
    const unknown = await runCli(['wait', '0190a4c2-7d3e-7a1b-9c2d-3e4f5a6b7c8d'], env);
    expect(unknown.code).toBe(125);
    expect(unknown.stderr).toBe('dist-exec: job 0190a4c2-7d3e-7a1b-9c2d-3e4f5a6b7c8d not found\n');
    expect((await runCli(['wait', 'nope'], env)).stderr).toMatch(/^dist-exec: id: "nope" is not a job id/);
  });

  it('shows a progress bar when stderr is a terminal', async () => {
    const result = await runCliOnTerminal(['run', '--array', '1-300', '--wait', 'true'], env);
    expect(result.code).toBe(0);
    expect(result.output).toMatch(/\r\x1b\[Ksubmitting \[[#·]{24}\] 0\/300 0%/);
    expect(result.output).toMatch(
      /\r\x1b\[Krunning (\[#{24}\] )?300\/300 100% 0 running, 0 pending, [\dm.]+s? elapsed/,
    );
    // On the way: how many run and wait, and an estimate of the time left.
    expect(result.output).toMatch(/ \d+ running, \d+ pending, [\dm.]+s? elapsed, ETA [\dm.]+s?/);
    expect(result.output).toContain('300 jobs: 300 completed');
  });

  it('the first Ctrl-C cancels the unfinished jobs and the run exits 130', async () => {
    const marker = `array-cancel-${Date.now()}`;
    const cli = startProgram('cli', ['run', '--array', '1-3', '--label', `case=${marker}`, 'sleep 60'], env);
    await until(
      async () =>
        (await cluster.client.listJobs({ states: ['RUNNING'] })).jobs.filter((job) => job.spec.labels.case === marker)
          .length === 3,
      {
        message: 'the three jobs to run',
      },
    );
    cli.kill('SIGINT');
    expect((await cli.exited).code).toBe(130);
    const jobs = (await cluster.client.listJobs()).jobs.filter((job) => job.spec.labels.case === marker);
    expect(jobs.map((job) => job.state)).toEqual(['CANCELLED', 'CANCELLED', 'CANCELLED']);
    // One line for the lot, not a failure line per cancelled job.
    const said = cli.logs.map((entry) => String(entry.msg));
    expect(said).toContain('cancelled 3 jobs; 0 had finished');
    expect(said.filter((line) => line.includes('CANCELLED'))).toEqual([]);
  });
});
