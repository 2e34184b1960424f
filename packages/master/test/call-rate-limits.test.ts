import { describe, expect, it } from 'vitest';
import { NO_TOKEN_LIMITS, type RateLimit, type TokenRole } from '@dist-exec/core';
import { CallRateLimits } from '@dist-exec/master';

const caller = (name: string, role: TokenRole, rateLimit: RateLimit | null = null) => ({
  name,
  role,
  credentialId: name,
  limits: { ...NO_TOKEN_LIMITS, rateLimit },
});

/** Rates per hour, so that no window passes while the test runs (the limiter reads the wall clock). */
describe('CallRateLimits', () => {
  const limits = new CallRateLimits({ defaultRate: { count: 2, periodMs: 3_600_000, burst: 1 } });

  it("holds submit and read tokens to the master's rate, worker and admin tokens only to their own", () => {
    expect(limits.rateOf(caller('ci', 'submit'))).toEqual({ count: 2, periodMs: 3_600_000, burst: 1 });
    expect(limits.rateOf(caller('dash', 'read'))).not.toBeNull();
    expect(limits.rateOf(caller('workers', 'worker'))).toBeNull();
    expect(limits.rateOf(caller('admin', 'admin'))).toBeNull();
    expect(limits.throttle(caller('admin', 'admin'))).toBeNull();
    const own = { count: 5, periodMs: 1000, burst: 0 };
    expect(limits.rateOf(caller('root', 'admin', own))).toEqual(own);
    // A token's own `off` lifts the master's rate.
    expect(limits.rateOf(caller('bulk', 'submit', { count: 0, periodMs: 1000, burst: 0 }))).toBeNull();
  });

  it('lets the rate and the burst through, then refuses with how long to wait; each token has its own count', async () => {
    const ci = caller('ci', 'submit');
    for (let i = 0; i < 3; i += 1) await expect(limits.throttle(ci)).resolves.toBeNull();
    const refused = await limits.throttle(ci);
    expect(refused?.reason).toMatch(/^token "ci" is over its rate limit of 2\/h \(burst 1\); retry in \d+\.\ds/);
    expect(refused?.retryAfterMs).toBeGreaterThan(0);
    expect(refused?.retryAfterMs).toBeLessThanOrEqual(3_600_000);
    await expect(limits.throttle(caller('other', 'submit'))).resolves.toBeNull();
  });
});
