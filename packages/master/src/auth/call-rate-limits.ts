import { formatRateLimit, type RateLimit } from '@dist-exec/core';
import type { Caller, Throttle } from '@dist-exec/runtime';
import { BurstyRateLimiter, RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

export interface CallRateLimitsOptions {
  /** The master's --rate-limit: what a submit or read token may call unless it has its own. count 0: none. */
  defaultRate: RateLimit;
}

type Limiter = RateLimiterMemory | BurstyRateLimiter;

/**
 * Per-token call rate limits of the master (rate-limiter-flexible, in
 * memory): a token may make `count` calls per period, and up to `burst` more
 * at once, which it earns back at the rate. Each gRPC call and each HTTP
 * request counts once (a stream once, when it opens). The limit is the
 * token's own (`token create --rate-limit`) or else the master's
 * --rate-limit; the master's applies to submit and read tokens only: worker
 * tokens heartbeat and stream results at the cluster's pace, and admin tokens
 * are limited only by a rate of their own. A call over the limit is answered
 * with how long to wait.
 */
export class CallRateLimits {
  readonly #defaultRate: RateLimit;
  /** One limiter per distinct rate, keyed by the token's name. */
  readonly #limiters = new Map<string, Limiter>();

  constructor(options: CallRateLimitsOptions) {
    this.#defaultRate = options.defaultRate;
  }

  /** The rate `caller` is held to, or null for none. */
  rateOf(caller: Caller): RateLimit | null {
    const own = caller.limits?.rateLimit;
    const rate = own ?? (caller.role === 'submit' || caller.role === 'read' ? this.#defaultRate : null);
    return rate && rate.count > 0 ? rate : null;
  }

  /**
   * Counts a call of `caller`: null (synchronously) when no limit applies,
   * else a promise of null (allowed) or of how long to wait (refused).
   */
  throttle(caller: Caller): Promise<Throttle | null> | null {
    const rate = this.rateOf(caller);
    if (!rate) return null;
    return this.#limiter(rate)
      .consume(caller.name)
      .then(
        () => null,
        (rejection: unknown) => {
          if (!(rejection instanceof RateLimiterRes)) throw rejection;
          const retryAfterMs = Math.max(1, Math.ceil(rejection.msBeforeNext));
          return {
            retryAfterMs,
            reason:
              `token "${caller.name}" is over its rate limit of ${formatRateLimit(rate)}; ` +
              `retry in ${(retryAfterMs / 1000).toFixed(1)}s, or ask an admin for a higher --rate-limit`,
          };
        },
      );
  }

  #limiter(rate: RateLimit): Limiter {
    const key = `${rate.count}/${rate.periodMs}+${rate.burst}`;
    let limiter = this.#limiters.get(key);
    if (limiter) return limiter;
    const periodS = rate.periodMs / 1000;
    const steady = new RateLimiterMemory({ keyPrefix: `rate-${key}`, points: rate.count, duration: periodS });
    // The burst is earned back at the rate: `burst` calls take burst/count periods.
    const burstS = Math.max(1, Math.ceil((periodS * rate.burst) / rate.count));
    limiter =
      rate.burst > 0
        ? new BurstyRateLimiter(
            steady,
            new RateLimiterMemory({ keyPrefix: `burst-${key}`, points: rate.burst, duration: burstS }),
          )
        : steady;
    this.#limiters.set(key, limiter);
    return limiter;
  }
}
