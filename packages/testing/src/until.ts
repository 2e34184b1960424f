import { setTimeout as delay } from 'node:timers/promises';

export interface UntilOptions {
  /** Generous by default: tests must pass on a loaded 2-core machine. @default 30000 */
  timeoutMs?: number;
  /** @default 25 */
  intervalMs?: number;
  /** Says what was awaited when the deadline passes (a function: computed then, e.g. to include logs). */
  message?: string | (() => string);
}

/**
 * Waits until `check` returns a truthy value (or a promise of one) and returns
 * it. Polls a condition with a deadline: tests never wait on fixed sleeps.
 */
export async function until<T>(check: () => T | Promise<T>, options: UntilOptions = {}): Promise<NonNullable<T>> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const cause = lastError instanceof Error ? `; last error: ${lastError.message}` : '';
      const what = typeof options.message === 'function' ? options.message() : options.message;
      throw new Error(`timed out waiting for ${what ?? 'a condition'}${cause}`);
    }
    await delay(options.intervalMs ?? 25);
  }
}
