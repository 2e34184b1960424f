import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobSpecInput } from '@dist-exec/client';
import { runCli, startProgram, startTestCluster, until, type TestCluster } from '@dist-exec/testing';

/**
 * What a newcomer runs into in the first hour, run as they would: the real
 * CLI against a real master and workers, its stdout and stderr on pipes
 * (`| cat`), never a terminal.
 */
describe('dist-exec CLI: nothing is dropped silently', () => {
  let cluster: TestCluster;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    cluster = await startTestCluster({ workers: 2 });
    env = { DIST_EXEC_MASTER: cluster.address, DIST_EXEC_TOKEN: cluster.adminToken };
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  // Jobs the tests only need to exist are submitted through the SDK: each CLI process costs a second or more.
  const submit = async (spec: JobSpecInput): Promise<string> => (await cluster.client.submit(spec)).job.id;

  it('run and wait say in one line on stderr why a job failed, on a pipe too', async () => {
    const run = await runCli(['run', '--cwd', '/nonexistent', 'pwd'], env);
    expect(run.code).toBe(125);
    expect(run.stderr).toMatch(/^dist-exec: job [0-9a-f-]{36} FAILED: .*\/nonexistent.*\n$/);
    const id = await submit({ command: 'exit 3' });
    const waited = await runCli(['wait', id], env);
    expect(waited.code).toBe(3);
    expect(waited.stderr).toContain(`dist-exec: job ${id} FAILED: exit code 3\n`);
  });

  it('takes any unique start or end of a job id in status, logs, wait and cancel; an ambiguous one lists the candidates', async () => {
    const first = await submit({ command: 'echo first' });
    const second = await submit({ command: 'echo second' });
    await cluster.client.waitForJob(second);
    await cluster.client.waitForJob(first);
    // The end (what the dashboard shows), in status --json and logs.
    const status = await runCli(['status', '--json', first.slice(-8)], env);
    expect(JSON.parse(status.stdout.toString())).toMatchObject({ id: first, state: 'COMPLETED' });
    expect((await runCli(['logs', `…${second.slice(-6)}`], env)).stdout.toString()).toBe('second\n');
    expect((await runCli(['wait', first.slice(0, 30)], env)).code).toBe(0);
    // Both were submitted within a few seconds: their first 8 characters (the time) are the same.
    const ambiguous = await runCli(['status', first.slice(0, 8)], env);
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stderr.split('\n')).toHaveLength(2);
    expect(ambiguous.stderr).toMatch(/^dist-exec: id: "[0-9a-f]{8}" is the start or end of several jobs' ids: /);
    expect(ambiguous.stderr).toContain(first);
    expect(ambiguous.stderr).toContain(second);
    const none = await runCli(['status', 'fffffffffff'], env);
    expect(none.stderr).toBe('dist-exec: no job id starts or ends with "fffffffffff"\n');
  });

  it('cancel takes many ids, --label k=v and --array <id>', async () => {
    const a = await submit({ command: 'sleep 60' });
    const b = await submit({ command: 'sleep 60' });
    const cancelled = await runCli(['cancel', a.slice(-10), b], env);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(cancelled.stdout.toString()).toBe(`cancelled ${a}\ncancelled ${b}\n`);

    const labelled = { command: 'true', labels: { case: 'by-label' }, constraints: { nowhere: '1' } };
    await cluster.client.submitMany([labelled, labelled, labelled, { ...labelled, labels: {} }]);
    const byLabel = await runCli(['cancel', '--label', 'case=by-label'], env);
    expect(byLabel.stdout.toString()).toBe('cancelled 3 jobs labelled case=by-label\n');

    const array = await runCli(['run', '--array', '1-4', '--detach', '--constraint', 'nowhere=1', 'true'], env);
    const ids = array.stdout.toString().trim().split('\n');
    expect(ids).toHaveLength(4);
    // Besides the array's derived key (printed first, so a cut-short submit can be finished), one warning.
    expect(array.stderr.split('\n').filter((line) => line.includes('warning'))).toEqual([
      `dist-exec: warning: job ${ids[0]} may never run: unschedulable: no node has the labels nowhere=1`,
    ]);
    // Any job of the array names it; all four go.
    const byArray = await runCli(['cancel', '--array', ids[2]!.slice(-8)], env);
    expect(byArray.stdout.toString()).toMatch(/^cancelled 4 jobs of array [0-9a-f-]{36}\n$/);
    for (const id of ids) expect((await cluster.client.getJob(id)).state).toBe('CANCELLED');
    const unlabelled = (await cluster.client.listJobs({ states: ['PENDING'] })).jobs;
    expect(unlabelled.map((job) => job.spec.labels)).toEqual([{}]);
    await cluster.client.cancel(unlabelled[0]!.id);
  });

  it('an attached run says why its job waits; --detach warns when no node could ever run it', async () => {
    const detached = await runCli(['run', '--detach', '--constraint', 'gpu=true', 'true'], env);
    const id = detached.stdout.toString().trim();
    expect(detached.stderr).toBe(
      `dist-exec: warning: job ${id} may never run: unschedulable: no node has the labels gpu=true\n`,
    );
    await cluster.client.cancel(id);

    const attached = startProgram('cli', ['run', '--label', 'case=waits', '--cpu', '64', 'true'], env);
    try {
      // The largest node's cores depend on the machine: the line is matched up to them.
      await until(() =>
        attached.logs.find((entry) =>
          String(entry.msg).startsWith('dist-exec: waiting: unschedulable: no node has 64 cpus; the largest has '),
        ),
      );
    } finally {
      attached.kill('SIGKILL');
      await attached.exited;
    }
    const waiting = await until(async () =>
      (await cluster.client.listJobs({ states: ['PENDING'] })).jobs.find((j) => j.spec.labels.case === 'waits'),
    );
    await cluster.client.cancel(waiting.id);
  });

  it('warns that --retries alone retries only lost workers; -i and --stdin-file - send stdin', async () => {
    const retried = await runCli(['run', '--retries', '2', 'true'], env);
    expect(retried.code).toBe(0);
    expect(retried.stderr).toBe(
      'dist-exec: --retries 2 retries the job only when its worker is lost; add --retry-on-failure to retry a non-zero exit or a timeout too\n',
    );
    expect((await runCli(['run', '--retries', '2', '--retry-on-failure', 'true'], env)).stderr).toBe('');

    const interactive = await runCli(['run', '-i', 'tr a-z A-Z'], env, 'hello\n');
    expect(interactive.stdout.toString()).toBe('HELLO\n');
    const dash = await runCli(['run', '--stdin-file', '-', 'wc -c'], env, 'four');
    expect(dash.stdout.toString().trim()).toBe('4');
  });

  it('--version, --help with examples and exit codes for every command, defaults as written, and -- for --argv', async () => {
    const version = await runCli(['--version']);
    expect(version.stdout.toString()).toMatch(/^dist-exec \d+\.\d+\.\d+\n$/);
    // A few of them (a process each); every command gets the same sections from help-text.ts.
    for (const command of ['run', 'cancel', 'up', 'token create']) {
      const help = (await runCli([...command.split(' '), '--help'])).stdout.toString();
      expect(help, command).toContain('\nExamples:\n  dist-exec ');
      expect(help, command).toContain('\nExit status:\n  0');
      expect(help, command).not.toMatch(/\(default: ["[]/);
    }
    expect((await runCli(['run', '--timeout', 'none', 'true'], env)).code).toBe(0);

    const argv = await runCli(['run', '--argv', 'ls', '-la'], env);
    expect(argv.code).toBe(125);
    expect(argv.stderr).toBe(
      'dist-exec: -la is not an option of run; put -- before the program so that its options are its own: dist-exec run --argv -- ls -la\n',
    );
    expect((await runCli(['run', '--argv', '--', 'ls', '-d', '/'], env)).stdout.toString()).toBe('/\n');
  });
});
