import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  generatePythonStubs,
  protocTools,
  PYTHON,
  pythonGrpcAvailable,
  runTool,
  startTestCluster,
  toolsRequired,
  until,
  type TestCluster,
} from '@dist-exec/testing';

// examples/python/dist_exec_client.py, run as a user runs it: stubs generated from proto/ by Debian's
// protoc and gRPC plugin, Debian's python3 with grpcio, a real master and worker.
const EXAMPLE = fileURLToPath(new URL('../../../examples/python/dist_exec_client.py', import.meta.url));
const available = pythonGrpcAvailable() && protocTools() !== null;

describe.skipIf(!available && !toolsRequired())('a Python client generated from proto/', () => {
  let cluster: TestCluster;
  let stubs: string;
  const python = (...args: string[]) =>
    runTool(PYTHON, [EXAMPLE, '--master', cluster.address, '--connect-timeout', '20', ...args], {
      env: { PYTHONPATH: stubs, DIST_EXEC_TOKEN: cluster.adminToken },
    });

  beforeAll(async () => {
    [cluster, stubs] = await Promise.all([startTestCluster({ workers: 1 }), generatePythonStubs()]);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('runs a job, streaming its output, and exits with its exit code', async () => {
    const [failing, invalid] = await Promise.all([
      python('run', 'echo hello from python; echo oops >&2; exit 3'),
      python('run', ''),
    ]);
    expect(failing.stdout).toBe('hello from python\n');
    expect(failing.stderr).toContain('oops\n');
    expect(failing.stderr).toMatch(/job [0-9a-f-]{36} JOB_STATE_FAILED\n$/);
    expect(failing.code).toBe(3);
    // The field comes from the google.rpc.BadRequest in the status details.
    expect(invalid.stderr).toBe(
      'error: INVALID_ARGUMENT: spec.command: the command is empty; give a shell command such as "echo hello" [field spec.command]\n',
    );
    expect(invalid.code).toBe(1);
  });

  it('submits in bulk with idempotency keys, pages through the jobs and watches one', async () => {
    const submitted = await python('submit-many', '--count', '12', '--label', 'via=python', 'echo $DIST_EXEC_JOB_ID');
    expect(submitted.stderr).toBe('');
    const ids = submitted.stdout.trim().split('\n');
    expect(ids).toHaveLength(12);
    for (const id of ids) await cluster.client.waitForJob(id);
    const stored = await Promise.all(ids.map((id) => cluster.client.getJob(id)));
    expect(stored.map((job) => job.spec.idempotencyKey.replace(/^[0-9a-f-]{36}:/, ''))).toEqual(
      ids.map((_, i) => String(i)),
    );

    // Pages of 5: the 12 newest jobs take three of them.
    const listed = await python('list', '--limit', '12', '--page-size', '5');
    expect(listed.stdout.trim().split('\n')).toEqual(
      [...ids].reverse().map((id) => `${id} COMPLETED echo $DIST_EXEC_JOB_ID`),
    );

    const watched = await python('watch', ids[0]!);
    expect(watched.stdout).toBe(`${ids[0]}\n`);
    expect(watched.stderr).toBe(`job ${ids[0]} JOB_STATE_COMPLETED\n`);
  });

  it('cancels a running job; cancelling again is harmless, a finished job is a precondition error', async () => {
    const { job } = await cluster.client.submit({ command: 'sleep 30' });
    await until(async () => (await cluster.client.getJob(job.id)).startedAtMs !== null);
    const cancelled = await python('cancel', job.id);
    expect(cancelled.stdout).toBe('CANCELLED\n');
    expect((await python('cancel', job.id)).stdout).toBe('CANCELLED\n');
    const { job: done } = await cluster.client.submit({ command: 'true' });
    await cluster.client.waitForJob(done.id);
    const refused = await python('cancel', done.id);
    expect(refused.stderr).toMatch(/^error: FAILED_PRECONDITION: job [0-9a-f-]{36} already COMPLETED/);
    expect(refused.code).toBe(1);
  });
});
