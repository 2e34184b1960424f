import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { JobSpec, OutputStreamName } from '@dist-exec/core';
import { CommandExecutor, SPAWNER_BINARY, type CommandExecutorOptions, type ExecutionOutcome } from '@dist-exec/worker';
import { processesMatching, toolsRequired, until } from '@dist-exec/testing';

/** Every path a job can start by: the native helper, the perl helper, the worker's own spawn. */
type Mode = 'native' | 'perl' | 'direct';

function spawnOptions(mode: Mode): CommandExecutorOptions {
  return mode === 'direct' ? { spawn: 'direct' } : { spawn: 'helper', helper: mode };
}

// The native helper is built at install where a C compiler is; CI installs one and requires it.
const MODES: Mode[] = existsSync(SPAWNER_BINARY) || toolsRequired() ? ['native', 'perl', 'direct'] : ['perl', 'direct'];

function spec(overrides: Partial<JobSpec> = {}): JobSpec {
  return {
    type: 'command',
    command: '',
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

interface Run {
  outcome: Promise<ExecutionOutcome>;
  abort: AbortController;
  pid: () => number | null;
  output: Record<OutputStreamName, Buffer[]>;
  text: (stream: OutputStreamName) => string;
}

const executors: CommandExecutor[] = [];

function run(
  overrides: Partial<JobSpec>,
  options: { mode: Mode; baseEnv?: Record<string, string>; killGraceMs?: number },
): Run {
  const executor = new CommandExecutor({
    ...spawnOptions(options.mode),
    ...(options.baseEnv ? { baseEnv: options.baseEnv } : {}),
  });
  executors.push(executor);
  const abort = new AbortController();
  const output: Record<OutputStreamName, Buffer[]> = { stdout: [], stderr: [] };
  let pid: number | null = null;
  const outcome = executor.run({
    spec: spec(overrides),
    signal: abort.signal,
    killGraceMs: options.killGraceMs ?? 200,
    onStarted: (started) => {
      pid = started;
    },
    onOutput: (stream, data) => output[stream].push(Buffer.from(data)),
  });
  return { outcome, abort, pid: () => pid, output, text: (stream) => Buffer.concat(output[stream]).toString() };
}

describe.each(MODES)('CommandExecutor spawning through %s', (mode) => {
  const dir = mkdtempSync(join(tmpdir(), 'command-executor-'));
  afterAll(() => {
    for (const executor of executors.splice(0)) executor.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs a shell command and passes both streams and the exit code on', async () => {
    const job = run({ command: 'echo out; echo err >&2; exit 3' }, { mode });
    expect(await job.outcome).toMatchObject({
      succeeded: false,
      reason: 'EXIT_CODE',
      exitCode: 3,
      error: 'exited with code 3',
    });
    expect(job.text('stdout')).toBe('out\n');
    expect(job.text('stderr')).toBe('err\n');
    expect(job.pid()).toBeGreaterThan(0);
  });

  it('runs an argv without a shell and succeeds with exit code 0', async () => {
    const job = run({ argv: ['printf', '%s|', 'a b', '$HOME'] }, { mode });
    expect(await job.outcome).toMatchObject({ succeeded: true, reason: null, exitCode: 0, error: '' });
    expect(job.text('stdout')).toBe('a b|$HOME|');
  });

  it('lays the job environment over the base environment', async () => {
    const job = run(
      { command: 'echo "$BASE_ONLY/$SHARED/$JOB_ONLY"', env: { SHARED: 'job', JOB_ONLY: 'j' } },
      { mode, baseEnv: { PATH: process.env.PATH ?? '/usr/bin:/bin', BASE_ONLY: 'b', SHARED: 'base' } },
    );
    await job.outcome;
    expect(job.text('stdout')).toBe('b/job/j\n');
  });

  it('runs the job in a session and process group of its own', async () => {
    const job = run({ argv: ['sh', '-c', 'set -- $(cut -d" " -f5,6 /proc/$$/stat); echo "$$ $1 $2"'] }, { mode });
    await job.outcome;
    const [pid, pgid, sid] = job.text('stdout').trim().split(' ').map(Number);
    expect(pid).toBe(job.pid());
    expect(pgid).toBe(pid);
    expect(sid).toBe(pid);
  });

  it('hands PERL5OPT and the like to the job, not to the helper', async () => {
    const baseEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', PERL5OPT: '-Mnonexistent::module' };
    const job = run({ command: 'echo "$PERL5OPT"' }, { mode, baseEnv });
    expect(await job.outcome).toMatchObject({ succeeded: true });
    expect(job.text('stdout')).toBe('-Mnonexistent::module\n');
  });

  it('starts from the worker process environment by default', async () => {
    const job = run({ command: 'echo "$PATH"' }, { mode });
    await job.outcome;
    expect(job.text('stdout')).toBe(`${process.env.PATH}\n`);
  });

  it('feeds stdin, and a child that does not read it does not break the worker (EPIPE)', async () => {
    const echo = run({ command: 'cat', stdin: Buffer.from('fed in\n') }, { mode });
    expect(await echo.outcome).toMatchObject({ succeeded: true });
    expect(echo.text('stdout')).toBe('fed in\n');
    const unread = run({ command: 'exit 0', stdin: Buffer.alloc(4 << 20, 120) }, { mode });
    expect(await unread.outcome).toMatchObject({ succeeded: true, exitCode: 0 });
  });

  it('maps death by a signal to 128 + its number', async () => {
    const job = run({ command: 'kill -TERM $$' }, { mode });
    expect(await job.outcome).toMatchObject({
      succeeded: false,
      reason: 'EXIT_CODE',
      exitCode: 143,
      error: 'killed by SIGTERM',
    });
  });

  it('says in one line why a program could not start: missing file, bad cwd, no permission', async () => {
    const missing = await run({ argv: [join(dir, 'no-such-program')] }, { mode }).outcome;
    expect(missing).toMatchObject({
      succeeded: false,
      reason: 'EXECUTOR_ERROR',
      exitCode: null,
      error: `could not start ${join(dir, 'no-such-program')}: no such file or directory`,
    });
    const badCwd = await run({ command: 'true', cwd: join(dir, 'no-such-dir') }, { mode }).outcome;
    expect(badCwd).toMatchObject({
      reason: 'EXECUTOR_ERROR',
      error: `could not start /bin/sh in ${join(dir, 'no-such-dir')}: no such file or directory`,
    });
    const script = join(dir, 'not-executable.sh');
    writeFileSync(script, '#!/bin/sh\necho hi\n');
    chmodSync(script, 0o644);
    const denied = await run({ argv: [script] }, { mode }).outcome;
    expect(denied).toMatchObject({ reason: 'EXECUTOR_ERROR', error: `could not start ${script}: permission denied` });
    const fileAsCwd = await run({ command: 'true', cwd: script }, { mode }).outcome;
    expect(fileAsCwd).toMatchObject({
      reason: 'EXECUTOR_ERROR',
      error: `could not start /bin/sh in ${script}: not a directory`,
    });
    for (const outcome of [missing, badCwd, denied, fileAsCwd]) expect(outcome.error).not.toMatch(/\n/);
  });

  it('on abort sends SIGTERM to the whole group', async () => {
    const marker = `executor-abort-${process.pid}-${Date.now()}`;
    const job = run({ command: `sh -c 'trap "" TERM; sleep 60 # ${marker}' & sleep 60 # ${marker}` }, { mode });
    await until(async () => (await processesMatching(marker)).length >= 2, { message: 'the job processes to run' });
    job.abort.abort('cancel');
    expect(await job.outcome).toMatchObject({
      succeeded: false,
      reason: 'EXIT_CODE',
      exitCode: 143,
      error: 'killed by SIGTERM',
    });
    await until(async () => (await processesMatching(marker)).length === 0, {
      message: 'every process of the group to be gone',
    });
  });

  it('on abort sends SIGKILL after the grace period to a job that ignores SIGTERM', async () => {
    const marker = `executor-grace-${process.pid}-${Date.now()}`;
    const job = run({ command: `trap "" TERM; sleep 60 # ${marker}` }, { mode, killGraceMs: 300 });
    await until(async () => (await processesMatching(marker)).length >= 1, { message: 'the job to run' });
    job.abort.abort('timeout');
    expect(await job.outcome).toMatchObject({
      succeeded: false,
      reason: 'EXIT_CODE',
      exitCode: 137,
      error: 'killed by SIGKILL',
    });
    await until(async () => (await processesMatching(marker)).length === 0, { message: 'the job to be gone' });
  });

  it('aborted before it started: the group is signalled at once', async () => {
    const abort = new AbortController();
    abort.abort('cancel');
    const executor = new CommandExecutor(spawnOptions(mode));
    executors.push(executor);
    const outcome = await executor.run({
      spec: spec({ command: 'sleep 60' }),
      signal: abort.signal,
      killGraceMs: 200,
      onStarted: () => {},
      onOutput: () => {},
    });
    expect(outcome).toMatchObject({ succeeded: false, exitCode: 143 });
  });

  it('kills what the job left running in the background when its main process exits', async () => {
    const marker = `executor-background-${process.pid}-${Date.now()}`;
    const job = run({ command: `sh -c 'sleep 60 # ${marker}' &\necho started` }, { mode });
    expect(await job.outcome).toMatchObject({ succeeded: true });
    expect(job.text('stdout')).toBe('started\n');
    await until(async () => (await processesMatching(marker)).length === 0, {
      message: 'the background process to be gone',
    });
  });

  it('passes megabytes of output on both streams through whole and in order', async () => {
    const job = run({ command: 'seq 1 300000; seq 1 100000 >&2' }, { mode });
    expect(await job.outcome).toMatchObject({ succeeded: true });
    const lines = (n: number): string => `${Array.from({ length: n }, (_, i) => i + 1).join('\n')}\n`;
    expect(job.text('stdout')).toBe(lines(300000));
    expect(job.text('stderr')).toBe(lines(100000));
  });

  it('passes binary output through byte for byte', async () => {
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const job = run({ command: 'cat', stdin: bytes }, { mode });
    await job.outcome;
    expect(Buffer.concat(job.output.stdout)).toEqual(bytes);
  });
});

describe.each(MODES.filter((mode) => mode !== 'direct'))('CommandExecutor through the %s helper', (mode) => {
  it('a helper that dies under a running job: the job fails with a clear error, its group is killed, the next job gets a new helper', async () => {
    const marker = `executor-helper-lost-${mode}-${process.pid}-${Date.now()}`;
    const executor = new CommandExecutor(spawnOptions(mode));
    executors.push(executor);
    const context = { signal: new AbortController().signal, killGraceMs: 200, onOutput: () => {} };
    let started = 0;
    const outcome = executor.run({
      ...context,
      spec: spec({ command: `sleep 60 # ${marker}` }),
      onStarted: (pid) => {
        started = pid;
      },
    });
    await until(() => started > 0 && executor.helperPid !== null, { message: 'the job to start' });
    const firstHelper = executor.helperPid as number;
    process.kill(firstHelper, 'SIGKILL');
    expect(await outcome).toMatchObject({
      succeeded: false,
      reason: 'EXECUTOR_ERROR',
      exitCode: null,
      error: 'could not run /bin/sh: the spawner helper process exited',
    });
    await until(async () => (await processesMatching(marker)).length === 0, {
      message: 'the orphaned job to be killed',
    });
    const next = await executor.run({ ...context, spec: spec({ command: 'exit 4' }), onStarted: () => {} });
    expect(next).toMatchObject({ reason: 'EXIT_CODE', exitCode: 4 });
    expect(executor.helperPid).not.toBe(firstHelper);
  });
});

describe.skipIf(process.getuid?.() !== 0).each(MODES)(
  'CommandExecutor as another user, spawning through %s',
  (mode) => {
    it('runs the job as --run-as (uid, gid and groups where the path can), with its HOME and USER', async () => {
      const executor = new CommandExecutor({ ...spawnOptions(mode), isolation: { runAs: 'nobody' } });
      executors.push(executor);
      const output: Buffer[] = [];
      const outcome = await executor.run({
        spec: spec({ command: 'id -u; id -g; echo "$HOME $USER"' }),
        signal: new AbortController().signal,
        killGraceMs: 200,
        onStarted: () => {},
        onOutput: (_stream, data) => output.push(Buffer.from(data)),
      });
      expect(outcome).toMatchObject({ succeeded: true });
      const [uid, gid, names] = Buffer.concat(output).toString().trim().split('\n');
      expect(Number(uid)).toBe(65534);
      expect(Number(gid)).toBeGreaterThan(0);
      expect(names).toMatch(/ nobody$/);
    });
  },
);
