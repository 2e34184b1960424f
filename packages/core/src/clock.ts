/**
 * Time comes only through a Clock, passed to each instance, so timing logic
 * can be driven by a fake clock in tests instead of real sleeps.
 */
export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Calls fn once after ms. Background timers never keep the process alive. */
  setTimeout(fn: () => void, ms: number): Timer;
}

// core compiles without Node types; the host's timer functions are reached
// through globalThis with the small shape we need.
interface HostTimers {
  setTimeout(fn: () => void, ms: number): { unref?: () => void };
  clearTimeout(handle: unknown): void;
}
const host = globalThis as unknown as HostTimers;

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const handle = host.setTimeout(fn, ms);
    handle.unref?.();
    return { cancel: () => host.clearTimeout(handle) };
  },
};

/** Resolves after ms on the given clock, or rejects when signal aborts. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignalLike): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      timer.cancel();
      reject(signal?.reason);
    };
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The part of AbortSignal that sleep needs (core has no DOM or Node types). */
export interface AbortSignalLike {
  readonly aborted: boolean;
  readonly reason?: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}
