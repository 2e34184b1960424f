import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@dist-exec/core';
import {
  arraySpecs,
  exitStatusForMany,
  MAX_ARRAY_JOBS,
  parseArrayRange,
  ProgressBar,
  progressNote,
  renderProgress,
  workerShare,
} from '@dist-exec/cli';

describe('parseArrayRange (Slurm --array syntax)', () => {
  it('reads indices, ranges and stepped ranges in the order given, each once', () => {
    expect(parseArrayRange('1-5')).toEqual([1, 2, 3, 4, 5]);
    expect(parseArrayRange('0-30:10')).toEqual([0, 10, 20, 30]);
    expect(parseArrayRange('7,1-3,2, 9')).toEqual([7, 1, 2, 3, 9]);
    expect(parseArrayRange('4')).toEqual([4]);
    expect(parseArrayRange(`1-${MAX_ARRAY_JOBS}`)).toHaveLength(MAX_ARRAY_JOBS);
  });

  it('refuses what it cannot read with a message naming --array', () => {
    for (const bad of ['', 'a-b', '1-', '-3', '5-2', '1-10:0', '1.5', '1-3;4']) {
      expect(() => parseArrayRange(bad), bad).toThrow(InvalidArgumentError);
      expect(() => parseArrayRange(bad), bad).toThrow(/^--array: /);
    }
    expect(() => parseArrayRange('1-10%2')).toThrow(/%N limit .* not supported/);
    expect(() => parseArrayRange(`0-${MAX_ARRAY_JOBS}`)).toThrow(/more than 100000 jobs/);
    expect(() => parseArrayRange('99999999')).toThrow(/too large|not a range/);
  });
});

describe('arraySpecs', () => {
  it('puts the index in the environment and a label, and derives an idempotency key per job', () => {
    const specs = arraySpecs(
      { command: 'echo $DIST_EXEC_ARRAY_INDEX', env: { A: '1' }, labels: { team: 'x' } },
      '3,5',
      'arr',
    );
    expect(specs).toEqual([
      {
        command: 'echo $DIST_EXEC_ARRAY_INDEX',
        env: { A: '1', DIST_EXEC_ARRAY_INDEX: '3', DIST_EXEC_ARRAY_ID: 'arr' },
        labels: { team: 'x', 'dist-exec.array': 'arr', 'dist-exec.array-index': '3' },
        idempotencyKey: 'arr:3',
      },
      {
        command: 'echo $DIST_EXEC_ARRAY_INDEX',
        env: { A: '1', DIST_EXEC_ARRAY_INDEX: '5', DIST_EXEC_ARRAY_ID: 'arr' },
        labels: { team: 'x', 'dist-exec.array': 'arr', 'dist-exec.array-index': '5' },
        idempotencyKey: 'arr:5',
      },
    ]);
    expect(arraySpecs({ command: 'true', idempotencyKey: 'nightly' }, '1', 'arr')[0]?.idempotencyKey).toBe('nightly:1');
  });
});

describe('exitStatusForMany', () => {
  it('is 0 when every job completed, else the highest status run would give', () => {
    const ok = { state: 'COMPLETED', reason: null, exitCode: 0 } as const;
    expect(exitStatusForMany([ok, ok])).toBe(0);
    expect(
      exitStatusForMany([
        ok,
        { state: 'FAILED', reason: 'EXIT_CODE', exitCode: 3 },
        { state: 'FAILED', reason: 'EXIT_CODE', exitCode: 2 },
      ]),
    ).toBe(3);
    expect(
      exitStatusForMany([
        { state: 'FAILED', reason: 'EXIT_CODE', exitCode: 3 },
        { state: 'CANCELLED', reason: 'CANCELLED', exitCode: null },
      ]),
    ).toBe(130);
    expect(exitStatusForMany([])).toBe(0);
  });
});

describe('progress bar', () => {
  function fakeTerminal(isTTY: boolean): NodeJS.WriteStream & { text: string } {
    const stream = { isTTY, columns: 60, text: '', write: (chunk: string) => ((stream.text += chunk), true) };
    return stream as unknown as NodeJS.WriteStream & { text: string };
  }

  it('renders a bar with counts and a percentage, cut to the terminal width', () => {
    expect(renderProgress('running', 250, 1000, '3 failed', 80)).toBe(
      'running [######··················] 250/1,000 25% 3 failed',
    );
    expect(renderProgress('running', 1000, 1000, '', 80)).toBe(`running [${'#'.repeat(24)}] 1,000/1,000 100%`);
    expect(renderProgress('running', 1, 2, 'a long note', 20)).toHaveLength(19);
    // Too narrow for the bar and the note: the bar goes, the counts stay.
    expect(renderProgress('running', 252, 300, '15 running, 33 pending, 6.3s elapsed, ETA 1.2s', 80)).toBe(
      'running 252/300 84% 15 running, 33 pending, 6.3s elapsed, ETA 1.2s',
    );
  });

  it('draws on a terminal at most every 100 ms, always at the end, and clears itself', () => {
    let now = 0;
    const terminal = fakeTerminal(true);
    const bar = new ProgressBar({ stream: terminal, label: 'running', total: 10, now: () => now });
    bar.update(1);
    bar.update(2);
    now = 150;
    bar.update(3);
    bar.update(10);
    expect(
      terminal.text
        .split('\r\x1b[K')
        .filter(Boolean)
        .map((line) => line.split(' ')[2]),
    ).toEqual(['1/10', '3/10', '10/10']);
    bar.log('job x FAILED');
    expect(terminal.text.endsWith('\r\x1b[Kjob x FAILED\n\r\x1b[Krunning [########################] 10/10 100%')).toBe(
      true,
    );
    bar.clear();
    expect(terminal.text.endsWith('\r\x1b[K')).toBe(true);
  });

  it('writes nothing but logged lines when the stream is not a terminal', () => {
    const pipe = fakeTerminal(false);
    const bar = new ProgressBar({ stream: pipe, label: 'running', total: 2 });
    bar.update(1);
    bar.update(2);
    bar.log('job x FAILED');
    bar.clear();
    expect(pipe.text).toBe('job x FAILED\n');
  });
});

describe('progressNote (the array bar, as GNU parallel --bar --eta)', () => {
  it('counts running and pending jobs, the time so far, and estimates the rest from the jobs done', () => {
    const note = progressNote({ running: 18, pending: 62, failed: 0, done: 120, total: 200, elapsedMs: 60_000 });
    // 60 s for 120 jobs: 80 left take 40 s more.
    expect(note).toBe('18 running, 62 pending, 1m elapsed, ETA 40s');
    expect(progressNote({ running: 2, pending: 8, failed: 0, done: 0, total: 10, elapsedMs: 1500 })).toBe(
      '2 running, 8 pending, 1.5s elapsed',
    );
    expect(progressNote({ running: 0, pending: 0, failed: 2, done: 10, total: 10, elapsedMs: 5000 })).toBe(
      '0 running, 0 pending, 5s elapsed, 2 failed',
    );
  });
});

describe('workerShare (dist-exec up)', () => {
  it("splits the machine's cores and memory between the local workers", () => {
    expect(workerShare(3, 2, 24 * 1024 ** 3)).toEqual({ cpus: 0.66, memoryBytes: 8 * 1024 ** 3 });
    expect(workerShare(1, 8, 1000)).toEqual({ cpus: 8, memoryBytes: 1000 });
    expect(workerShare(64, 2, 1000).cpus).toBe(0.03);
  });
});
