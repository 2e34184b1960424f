import { setTimeout as delay } from 'node:timers/promises';
import { backoffDelay, RETRYABLE_CODES } from '@dist-exec/core';
import { fromServiceError } from '@dist-exec/proto';

export interface RetryOptions {
  /** Extra tries after the first. @default 2 */
  retries?: number;
  /** @default 100 */
  baseMs?: number;
  /** @default 2000 */
  capMs?: number;
}

/**
 * Runs an idempotent call, retrying while the error is one the server may
 * answer differently next time (UNAVAILABLE, DEADLINE_EXCEEDED).
 */
export async function withRetry<T>(call: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const retries = options.retries ?? 2;
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await call();
    } catch (error) {
      const typed = fromServiceError(error);
      if (attempt >= retries || !RETRYABLE_CODES.has(typed.code)) throw typed;
      // A referenced timer: a program awaiting this retry must not exit meanwhile.
      await delay(backoffDelay(attempt + 1, { baseMs: options.baseMs ?? 100, capMs: options.capMs ?? 2000 }));
    }
  }
}
