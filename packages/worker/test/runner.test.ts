import { describe, expect, it } from 'vitest';
import type { AttemptResult, JobSpec } from '@dist-exec/core';
import {
  TaskRunner,
  type AttemptSink,
  type ExecutionContext,
  type ExecutionOutcome,
  type Executor,
} from '@dist-exec/worker';
import { FakeClock, testLogger } from '@dist-exec/testing';

/** An executor the test drives by hand: it starts, emits output and ends when told to. */
class ScriptedExecutor implements Executor {
  readonly type = 'scripted';
  contexts: ExecutionContext[] = [];
  #finish: ((succeeded: boolean) => void)[] = [];

  run(context: ExecutionContext): Promise<ExecutionOutcome> {
    this.contexts.push(context);
    context.onStarted(4242);
    return new Promise((resolve) => {
      const finish = (succeeded: boolean): void =>
        resolve({ succeeded, reason: succeeded ? null : 'EXIT_CODE', exitCode: succeeded ? 0 : 1, error: '' });
      this.#finish.push(finish);
      context.signal.addEventListener('abort', () => finish(false));
    });
  }

  finish(index: number, succeeded = true): void {
    this.#finish[index]?.(succeeded);
  }
}

class RecordingSink implements AttemptSink {
  events: string[] = [];
  text = '';
  result: AttemptResult | null = null;
  started(): void {
    this.events.push('started');
  }
  output(event: { offset: number; data: Uint8Array }): void {
    this.events.push(`output@${event.offset}`);
    this.text += Buffer.from(event.data).toString();
  }
  finished(result: AttemptResult): void {
    this.events.push('finished');
    this.result = result;
  }
}

function spec(overrides: Partial<JobSpec> = {}): JobSpec {
  return {
    type: 'scripted',
    command: 'x',
    argv: [],
    env: {},
    cwd: '',
    stdin: new Uint8Array(),
    priority: 0,
    timeoutMs: 0,
    labels: {},
    constraints: {},
    cpu: 0,
    memoryBytes: 0,
    maxRetries: 0,
    retryOnFailure: false,
    idempotencyKey: '',
    http: null,
    memoryLimitBytes: 0,
    user: '',
    ...overrides,
  };
}

function setup(options: { maxTasks?: number; outputLimitBytes?: number; memoryBytes?: number } = {}) {
  const clock = new FakeClock();
  const executor = new ScriptedExecutor();
  const runner = new TaskRunner({
    executors: [executor],
    clock,
    logger: testLogger(),
    maxTasks: options.maxTasks ?? 2,
    outputLimitBytes: options.outputLimitBytes ?? 1024,
    killGraceMs: 100,
    retainedOutputBytes: 1 << 20,
    ...(options.memoryBytes ? { memoryBytes: options.memoryBytes } : {}),
  });
  return { clock, executor, runner };
}

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const ref = { jobId: 'job-1', attempt: 1 };
const request = (overrides: Partial<Parameters<TaskRunner['execute']>[0]> = {}) => ({
  ref,
  spec: spec(),
  fromOffset: 0,
  outputLimitBytes: 0,
  killGraceMs: 0,
  ...overrides,
});

describe('TaskRunner', () => {
  it('attaches to a known attempt instead of starting it again, replaying output from the offset', async () => {
    const { executor, runner } = setup();
    const first = new RecordingSink();
    const detach = runner.execute(request(), first);
    executor.contexts[0]!.onOutput('stdout', Buffer.from('hello '));
    executor.contexts[0]!.onOutput('stderr', Buffer.from('world'));
    detach(); // the master went away; the attempt runs on
    const second = new RecordingSink();
    runner.execute(request({ fromOffset: 3 }), second);
    expect(executor.contexts).toHaveLength(1);
    expect(second.events).toEqual(['started', 'output@3', 'output@6']);
    expect(second.text).toBe('lo world');
    executor.finish(0);
    await flush();
    expect(second.result).toMatchObject({ succeeded: true, outputLength: 11 });
    expect(first.result).toBeNull();
  });

  it('keeps a finished result until the master acknowledges it, and replays it on attach', async () => {
    const { executor, runner } = setup();
    runner.execute(request(), new RecordingSink());
    executor.contexts[0]!.onOutput('stdout', Buffer.from('done'));
    executor.finish(0, false);
    await flush();
    expect(runner.reports()).toEqual([{ jobId: 'job-1', attempt: 1, finished: true }]);
    const late = new RecordingSink();
    runner.execute(request(), late);
    expect(late.events).toEqual(['started', 'output@0', 'finished']);
    expect(late.result).toMatchObject({ succeeded: false, reason: 'EXIT_CODE', exitCode: 1 });
    runner.acknowledge([ref]);
    expect(runner.reports()).toEqual([]);
  });

  it('kills and forgets stale attempts', async () => {
    const { executor, runner } = setup();
    const sink = new RecordingSink();
    runner.execute(request(), sink);
    runner.killStale([ref]);
    expect(executor.contexts[0]!.signal.aborted).toBe(true);
    await flush();
    expect(sink.result).toMatchObject({ succeeded: false, reason: 'CANCELLED' });
    expect(runner.reports()).toEqual([]);
  });

  it('reports TIMEOUT when the job outlives its timeout', async () => {
    const { clock, executor, runner } = setup();
    const sink = new RecordingSink();
    runner.execute(request({ spec: spec({ timeoutMs: 5000 }) }), sink);
    clock.advance(4999);
    expect(executor.contexts[0]!.signal.aborted).toBe(false);
    clock.advance(1);
    await flush();
    expect(sink.result).toMatchObject({ succeeded: false, reason: 'TIMEOUT', error: 'timed out after 5000ms' });
  });

  it('keeps the head and the tail of each stream within its limit, marks the cut and counts what it dropped', async () => {
    const { executor, runner } = setup({ outputLimitBytes: 4 });
    const sink = new RecordingSink();
    runner.execute(request(), sink);
    executor.contexts[0]!.onOutput('stdout', Buffer.from('abcdef'));
    executor.contexts[0]!.onOutput('stderr', Buffer.from('xy'));
    executor.contexts[0]!.onOutput('stdout', Buffer.from('gh'));
    // The head goes out at once; the tail waits for the end.
    expect(sink.text).toBe('abxy');
    executor.finish(0);
    await flush();
    const marker =
      '\n[dist-exec: 4 bytes of stdout dropped here: over the output limit (4 bytes), only its head and its tail are kept]\n';
    expect(sink.text).toBe(`abxy${marker}gh`);
    expect(sink.result).toMatchObject({
      stdoutDroppedBytes: 4,
      stderrDroppedBytes: 0,
      outputLength: 6 + marker.length,
    });
  });

  it('refuses a job whose memory limit is above what the worker offers, naming both', () => {
    const { runner, executor } = setup({ memoryBytes: 1 << 30 });
    expect(() =>
      runner.execute(request({ spec: spec({ memoryBytes: 1 << 28, memoryLimitBytes: 2 ** 31 }) }), new RecordingSink()),
    ).toThrow('spec.memoryLimitBytes: 2Gi is more memory than this worker offers (--memory 1Gi)');
    expect(() => runner.execute(request({ spec: spec({ memoryBytes: 2 ** 31 }) }), new RecordingSink())).toThrow(
      /^spec.memoryBytes: 2Gi/,
    );
    runner.execute(request({ spec: spec({ memoryBytes: 1 << 30 }) }), new RecordingSink());
    expect(executor.contexts).toHaveLength(1);
  });

  it('refuses work beyond its slots, while draining, and for unknown task types', () => {
    const { runner } = setup({ maxTasks: 1 });
    runner.execute(request(), new RecordingSink());
    expect(() => runner.execute(request({ ref: { jobId: 'job-2', attempt: 1 } }), new RecordingSink())).toThrow(
      /runs 1 of 1/,
    );
    expect(() =>
      runner.execute(
        request({ ref: { jobId: 'job-3', attempt: 1 }, spec: spec({ type: 'gpu' }) }),
        new RecordingSink(),
      ),
    ).toThrow(/no "gpu" executor/);
    runner.drain();
    expect(() => runner.execute(request({ ref: { jobId: 'job-4', attempt: 1 } }), new RecordingSink())).toThrow(
      /draining/,
    );
  });

  it('gives jobs their id, attempt and node in the environment', () => {
    const { executor, runner } = setup();
    runner.nodeId = 'node-a';
    runner.execute(
      request({ ref: { jobId: 'job-9', attempt: 3 }, spec: spec({ env: { OWN: '1' } }) }),
      new RecordingSink(),
    );
    expect(executor.contexts[0]!.spec.env).toEqual({
      DIST_EXEC_JOB_ID: 'job-9',
      DIST_EXEC_ATTEMPT: '3',
      DIST_EXEC_NODE_ID: 'node-a',
      OWN: '1',
    });
  });

  it('fenced: kills running attempts as WORKER_LOST and refuses work until unfenced', async () => {
    const { executor, runner } = setup();
    const sink = new RecordingSink();
    runner.execute(request(), sink);
    runner.fence(20_000);
    expect(executor.contexts[0]!.signal.aborted).toBe(true);
    await flush();
    expect(sink.result).toMatchObject({
      succeeded: false,
      reason: 'WORKER_LOST',
      error: expect.stringMatching(/no heartbeat reached the master for 20000ms/),
    });
    // The result is kept for the master, like any other.
    expect(runner.reports()).toEqual([{ jobId: 'job-1', attempt: 1, finished: true }]);
    expect(() => runner.execute(request({ ref: { jobId: 'job-2', attempt: 1 } }), new RecordingSink())).toThrow(
      /lost contact with the master/,
    );
    runner.unfence();
    runner.execute(request({ ref: { jobId: 'job-2', attempt: 1 } }), new RecordingSink());
    expect(executor.contexts).toHaveLength(2);
    expect(executor.contexts[1]!.signal.aborted).toBe(false);
  });
});
