/** Exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff And Jitter"). */
export interface BackoffOptions {
  /** Delay scale for the first retry, in ms. @default 1000 */
  baseMs?: number;
  /** Largest delay, in ms. @default 60000 */
  capMs?: number;
  /** Multiplier per attempt. @default 2 */
  factor?: number;
  /** Fraction of the delay that is randomised (0 = none, 1 = full jitter). @default 0.5 */
  jitter?: number;
}

export const DEFAULT_BACKOFF_BASE_MS = 1000;
export const DEFAULT_BACKOFF_CAP_MS = 60_000;

/**
 * Delay before retry number `retry` (1 for the first retry). `random` returns
 * a number in [0, 1) and is injectable so tests are deterministic.
 */
export function backoffDelay(retry: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const base = options.baseMs ?? DEFAULT_BACKOFF_BASE_MS;
  const cap = options.capMs ?? DEFAULT_BACKOFF_CAP_MS;
  const factor = options.factor ?? 2;
  const jitter = options.jitter ?? 0.5;
  const exponential = Math.min(cap, base * factor ** Math.max(0, retry - 1));
  return Math.round(exponential * (1 - jitter) + exponential * jitter * random());
}
