import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, type TaskConfig, type TaskConfigSchema } from '@dist-exec/core';
import {
  configOf,
  defaultExecutors,
  type ExecutionContext,
  type ExecutionOutcome,
  type Executor,
} from '@dist-exec/worker';
import { httpRequest, runCli, startTestCluster, type TestCluster } from '@dist-exec/testing';

/**
 * An executor owns its payload: a task type defined here, in the test, with
 * a field of its own, flows from submit (SDK, HTTP, CLI) through the
 * master's validation, the store, the dispatch and the worker to its result,
 * with no other file knowing it. The worker sends the schema when it
 * registers; the master checks configs against it at submit.
 */
const ECHO_CONFIG = {
  text: { kind: 'string', required: true, maxLength: 100, description: 'what to print' },
  times: { kind: 'integer', min: 1, max: 5, description: 'how many times (default 1)' },
} as const satisfies TaskConfigSchema;

class EchoExecutor implements Executor {
  readonly type = 'echo';
  readonly config = ECHO_CONFIG;

  async run(context: ExecutionContext): Promise<ExecutionOutcome> {
    const { text, times } = configOf(ECHO_CONFIG, context.spec);
    context.onStarted(0);
    context.onOutput('stdout', new TextEncoder().encode(`${text}\n`.repeat(times ?? 1)));
    return { succeeded: true, reason: null, exitCode: 0, error: '' };
  }
}

describe('a task type with a config of its own', () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = await startTestCluster({
      workers: 1,
      workerDeps: { executors: [...defaultExecutors(), new EchoExecutor()] },
    });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('runs from an SDK submit to its result, its config kept with the job', async () => {
    const { job } = await cluster.client.submit({ type: 'echo', config: { text: 'hello', times: 2 } });
    const done = await cluster.client.waitForJob(job.id);
    expect(done.state).toBe('COMPLETED');
    const full = await cluster.client.getJob(job.id, { output: true });
    expect(Buffer.from(full.stdout ?? []).toString()).toBe('hello\nhello\n');
    expect(full.spec).toMatchObject({ type: 'echo', config: { text: 'hello', times: 2 } });
  });

  it('is refused at submit, naming the field, when the config does not fit the schema', async () => {
    const refusal = (config: TaskConfig) =>
      cluster.client.submit({ type: 'echo', config }).then(
        () => 'accepted',
        (error: unknown) => (error instanceof InvalidArgumentError ? error.message : String(error)),
      );
    expect(await refusal({})).toBe('spec.config.text: echo tasks need it: what to print');
    expect(await refusal({ text: 'x', colour: 'red' })).toBe(
      'spec.config.colour: unknown field of echo tasks; known fields: text, times',
    );
    expect(await refusal({ text: 'x', times: 9 })).toBe('spec.config.times: 9 is out of range; use 1 to 5');
    expect(await refusal({ text: 7 })).toBe('spec.config.text: must be a string');
    await expect(cluster.client.submit({ command: 'true', config: { text: 'x' } })).rejects.toThrow(
      'spec.config: command tasks take no config; give command or argv instead',
    );
  });

  it('flows the same through the HTTP API and the CLI', async () => {
    const base = `http://127.0.0.1:${cluster.master.httpPort}`;
    const created = await httpRequest(`${base}/api/v1/jobs`, {
      method: 'POST',
      token: cluster.adminToken,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'echo', config: { text: 'over http' } }),
    });
    expect(created.status).toBe(201);
    const id = (created.json as { id: string }).id;
    await cluster.client.waitForJob(id);
    const read = await httpRequest(`${base}/api/v1/jobs/${id}`, { token: cluster.adminToken });
    expect(read.json).toMatchObject({
      state: 'COMPLETED',
      type: 'echo',
      config: { text: 'over http' },
      stdout: 'over http\n',
    });
    const bad = await httpRequest(`${base}/api/v1/jobs`, {
      method: 'POST',
      token: cluster.adminToken,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'echo', config: { times: 2 } }),
    });
    expect(bad.status).toBe(400);
    expect(bad.json).toEqual({
      error: { code: 'INVALID_ARGUMENT', message: 'spec.config.text: echo tasks need it: what to print' },
    });

    const env = { DIST_EXEC_MASTER: cluster.address, DIST_EXEC_TOKEN: cluster.adminToken };
    const cli = await runCli(['run', '--type', 'echo', '--config', '{"text": "from the cli"}'], env);
    expect({ code: cli.code, stdout: cli.stdout.toString() }).toEqual({ code: 0, stdout: 'from the cli\n' });
    const notJson = await runCli(['run', '--type', 'echo', '--config', '{text}'], env);
    expect(notJson.code).toBe(125);
    expect(notJson.stderr).toMatch(
      /^dist-exec: --config: not JSON \(.*\); give an object such as '\{"text": "hi"\}'\n$/,
    );
  });
});
