import type { AttemptResult } from '@dist-exec/core';

/** An attempt's result as a worker reports it: by default, exit code 0 with no output. */
export function attemptResult(overrides: Partial<AttemptResult> = {}): AttemptResult {
  return {
    succeeded: true,
    reason: null,
    exitCode: 0,
    error: '',
    startedAtMs: 0,
    finishedAtMs: 0,
    stdoutDroppedBytes: 0,
    stderrDroppedBytes: 0,
    httpResult: null,
    outputLength: 0,
    peakMemoryBytes: 0,
    cpuTimeMs: 0,
    ...overrides,
  };
}
