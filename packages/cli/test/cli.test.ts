import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startTestCluster, until, type TestCluster } from '@dist-exec/testing';

describe('dist-exec CLI', () => {
  let cluster: TestCluster;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    cluster = await startTestCluster({ workers: 2 });
    env = { DIST_EXEC_MASTER: cluster.address, DIST_EXEC_TOKEN: cluster.adminToken };
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('run streams output and exits with the job exit code', async () => {
    const result = await runCli(['run', 'echo to-stdout; echo to-stderr >&2; exit 7'], env);
    expect(result.code).toBe(7);
    expect(result.stdout.toString()).toBe('to-stdout\n');
    expect(result.stderr).toContain('to-stderr\n');
  });

  it('run exits 0 on success and 124 on timeout', async () => {
    expect((await runCli(['run', 'true'], env)).code).toBe(0);
    expect((await runCli(['run', '--timeout', '500ms', 'sleep 20'], env)).code).toBe(124);
  });

  it('run --detach prints only the job id; status --json has the documented fields', async () => {
    const detached = await runCli(
      [
        '--master',
        cluster.address,
        '--token',
        cluster.adminToken,
        'run',
        '--detach',
        '--label',
        'team=infra',
        '--priority',
        '3',
        '--env',
        'SECRET=hunter2',
        'echo detached',
      ],
      {},
    );
    expect(detached.code).toBe(0);
    const id = detached.stdout.toString().trim();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    await cluster.client.waitForJob(id);
    const status = await runCli(['status', '--json', id], env);
    const job = JSON.parse(status.stdout.toString()) as Record<string, unknown>;
    expect(job).toMatchObject({
      id,
      state: 'COMPLETED',
      command: 'echo detached',
      exitCode: 0,
      stdout: 'detached\n',
      stderr: '',
      attempts: 1,
      priority: 3,
      reason: null,
      labels: { team: 'infra' },
      submittedBy: 'admin',
      // Env values are secrets: reads show their names only.
      envNames: ['SECRET'],
    });
    expect(status.stdout.toString()).not.toContain('hunter2');
    for (const field of ['workerId', 'createdAt', 'startedAt', 'finishedAt'])
      expect(job[field]).toEqual(expect.any(String));
  });

  it('list --json, nodes --json and logs print what the API holds', async () => {
    const ran = await runCli(['run', '--detach', 'printf "a\\0b"'], env);
    const id = ran.stdout.toString().trim();
    await cluster.client.waitForJob(id);
    const list = JSON.parse(
      (await runCli(['list', '--json', '--limit', '5', '--state', 'completed'], env)).stdout.toString(),
    ) as { id: string; state: string }[];
    expect(list[0]).toMatchObject({ id, state: 'COMPLETED' });
    expect(list.every((j) => j.state === 'COMPLETED')).toBe(true);
    const nodes = JSON.parse((await runCli(['nodes', '--json'], env)).stdout.toString()) as Record<string, unknown>[];
    expect(nodes).toHaveLength(2);
    expect(Object.keys(nodes[0]!)).toEqual(
      expect.arrayContaining(['id', 'address', 'state', 'activeTasks', 'maxTasks', 'labels', 'lastHeartbeat']),
    );
    const logs = await runCli(['logs', id], env);
    expect(logs.stdout).toEqual(Buffer.from('a\0b'));
  });

  it('cancel stops a running job, and the attached run exits 130', async () => {
    const attached = runCli(['run', '--label', 'case=cancel-cli', 'sleep 30'], env);
    const job = await until(async () =>
      (await cluster.client.listJobs({ states: ['RUNNING'] })).jobs.find((j) => j.spec.labels.case === 'cancel-cli'),
    );
    const cancel = await runCli(['cancel', job.id], env);
    expect(cancel.code).toBe(0);
    expect(cancel.stdout.toString()).toBe(`cancelled ${job.id}\n`);
    expect((await attached).code).toBe(130);
    expect((await cluster.client.getJob(job.id)).state).toBe('CANCELLED');
  });

  it('says in one line what is wrong with bad input, without a stack trace', async () => {
    const empty = await runCli(['run', ''], env);
    expect(empty.code).toBe(125);
    expect(empty.stderr).toBe(
      'dist-exec: spec.command: the command is empty; give a shell command such as "echo hello"\n',
    );
    const badTimeout = await runCli(['run', '--timeout', 'soon', 'true'], env);
    expect(badTimeout.stderr).toMatch(/^dist-exec: --timeout: "soon" is not a duration/);
    const badId = await runCli(['status', 'xyz'], env);
    expect(badId.code).toBe(1);
    expect(badId.stderr).toMatch(/^dist-exec: id: "xyz" is not a job id/);
    const missing = await runCli(['status', '01a2074a-7067-75c4-ab32-9e32b258f0dd'], env);
    expect(missing.stderr).toBe('dist-exec: job 01a2074a-7067-75c4-ab32-9e32b258f0dd not found\n');
  });

  it('says so in one line when the master is unreachable', async () => {
    const result = await runCli(['list'], { DIST_EXEC_MASTER: '127.0.0.1:1' });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/cannot reach the master at 127\.0\.0\.1:1/);
    expect(result.stderr).not.toMatch(/\bat .*\.js:\d+/);
  });
});
