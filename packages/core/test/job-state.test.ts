import { describe, expect, it } from 'vitest';
import {
  backoffDelay,
  canTransition,
  FailedPreconditionError,
  assertTransition,
  isTerminal,
  JOB_STATES,
  stateAfterFailure,
} from '@dist-exec/core';

describe('job state machine', () => {
  it('allows exactly the transitions of the lifecycle diagram', () => {
    const allowed = JOB_STATES.flatMap((from) =>
      JOB_STATES.filter((to) => canTransition(from, to)).map((to) => `${from}->${to}`),
    );
    expect(allowed.sort()).toEqual(
      [
        'PENDING->RUNNING',
        'PENDING->CANCELLED',
        'PENDING->FAILED',
        'RUNNING->COMPLETED',
        'RUNNING->FAILED',
        'RUNNING->CANCELLED',
        'RUNNING->PENDING',
      ].sort(),
    );
  });

  it('treats finished states as final', () => {
    expect(JOB_STATES.filter(isTerminal)).toEqual(['COMPLETED', 'FAILED', 'CANCELLED']);
    expect(() => assertTransition('j', 'COMPLETED', 'RUNNING')).toThrow(FailedPreconditionError);
  });

  it('retries a lost worker while attempts remain, a non-zero exit only when asked', () => {
    const spec = { maxRetries: 2, retryOnFailure: false };
    expect(stateAfterFailure('WORKER_LOST', 1, spec)).toBe('PENDING');
    expect(stateAfterFailure('WORKER_LOST', 3, spec)).toBe('FAILED');
    expect(stateAfterFailure('EXIT_CODE', 1, spec)).toBe('FAILED');
    expect(stateAfterFailure('EXIT_CODE', 1, { ...spec, retryOnFailure: true })).toBe('PENDING');
    expect(stateAfterFailure('TIMEOUT', 1, { ...spec, retryOnFailure: true })).toBe('PENDING');
    expect(stateAfterFailure('CANCELLED', 1, { ...spec, retryOnFailure: true })).toBe('CANCELLED');
    expect(stateAfterFailure('WORKER_LOST', 1, { maxRetries: 0, retryOnFailure: false })).toBe('FAILED');
  });
});

describe('backoffDelay', () => {
  it('grows exponentially up to the cap, with jitter inside [half, full]', () => {
    const options = { baseMs: 100, capMs: 1000, jitter: 0.5 };
    expect(backoffDelay(1, options, () => 0)).toBe(50);
    expect(backoffDelay(1, options, () => 0.999999)).toBe(100);
    expect(backoffDelay(3, options, () => 1)).toBe(400);
    expect(backoffDelay(10, options, () => 1)).toBe(1000);
    expect(backoffDelay(10, options, () => 0)).toBe(500);
  });
});
