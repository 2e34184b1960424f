import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  compileMasterOptions,
  leaseHeld,
  PostgresLease,
  PostgresStore,
  stepDownMarginMs,
  type PostgresLeaseOptions,
} from '@dist-exec/master';
import { postgresAvailable, startTestPostgres, testLogger, until, type TestPostgres } from '@dist-exec/testing';
import { makeJob } from './helpers.js';

/**
 * The lease that elects one leader among masters sharing a database, on a
 * real PostgreSQL: taken only once expired, renewed by holder and epoch,
 * released for a quick hand-over, and every commit fenced by its epoch.
 */

describe('when a lease holds', () => {
  it('a leader gives up a fifth of the TTL (at least 100ms) before its lease could expire, by its own clock', () => {
    expect(stepDownMarginMs(10_000)).toBe(2000);
    expect(stepDownMarginMs(300)).toBe(100);
    expect(leaseHeld(1000, 1000 + 7999, 10_000)).toBe(true);
    expect(leaseHeld(1000, 1000 + 8000, 10_000)).toBe(false);
  });

  it('the lease flags are checked: a renew interval above half the TTL names --lease-renew', () => {
    expect(() => compileMasterOptions({ leaseTtlMs: 2000, leaseRenewMs: 1500 })).toThrow(
      /^--lease-renew: 1500ms must be above 0 and at most half the lease TTL \(2000ms\)$/,
    );
    expect(() => compileMasterOptions({ leaseTtlMs: 100 })).toThrow(/^--lease-ttl: 100ms is too short/);
    expect(() => compileMasterOptions({ advertiseAddress: 'no-port' })).toThrow(
      /^--advertise-address: "no-port" is not host:port$/,
    );
  });
});

const withPostgres = postgresAvailable();
let server: TestPostgres;
const leases: PostgresLease[] = [];
const stores: PostgresStore[] = [];

beforeAll(async () => {
  if (withPostgres) server = await startTestPostgres();
});

afterAll(async () => {
  await server?.destroy();
});

afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  for (const lease of leases.splice(0)) await lease.close();
});

function lease(url: string, holder: string, options: Partial<PostgresLeaseOptions> = {}): PostgresLease {
  const made = new PostgresLease({
    url,
    holder,
    address: `${holder}:50051`,
    httpAddress: `${holder}:8080`,
    ttlMs: 1500,
    renewMs: 200,
    logger: testLogger(),
    onLost: () => undefined,
    ...options,
  });
  leases.push(made);
  return made;
}

describe.skipIf(!withPostgres)('the lease on PostgreSQL', () => {
  it(
    'taken only once expired, under a higher epoch; a commit under the old epoch is refused and tells its lease',
    { timeout: 60_000 },
    async () => {
      const url = await server.createDatabase();
      const a = lease(url, 'a');
      const b = lease(url, 'b');
      await a.open();
      await b.open();
      const campaign = new AbortController();
      const epochA = await a.campaign(campaign.signal);
      expect(a.holds()).toBe(true);
      let epochB = 0;
      const taking = b.campaign(campaign.signal).then((epoch) => (epochB = epoch));
      // A window longer than the TTL: a renews, so b never takes it.
      const watchUntil = Date.now() + 2500;
      while (Date.now() < watchUntil) {
        expect((await b.read()).holder).toBe('a');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(epochB).toBe(0);

      // a stops renewing, as a paused leader does (it does not release): b takes over once the lease expired.
      a.lost('paused');
      expect(a.holds()).toBe(false);
      const pausedAt = Date.now();
      await taking;
      const tookMs = Date.now() - pausedAt;
      expect(epochB).toBe(epochA + 1);
      expect(tookMs).toBeLessThan(1500 + 2000);

      // a's store, woken before its own clock says it lost: its commit is refused by the database.
      const lost: string[] = [];
      const stale = new PostgresStore({
        url,
        logger: testLogger(),
        lease: { epoch: epochA, holds: () => true, lost: (reason) => lost.push(reason) },
      });
      stores.push(stale);
      await stale.open();
      stale.putJob(makeJob());
      await expect(stale.flush()).rejects.toThrow(/cannot write/);
      expect(lost.join()).toMatch(/the lease of epoch \d+ was taken by another master/);
      const fresh = new PostgresStore({
        url,
        logger: testLogger(),
        lease: { epoch: epochB, holds: () => true, lost: () => undefined },
      });
      stores.push(fresh);
      expect((await fresh.open()).activeJobs).toEqual([]);
      campaign.abort();
    },
  );

  it(
    'a released lease is taken by a waiting master within a second (NOTIFY), not a TTL',
    { timeout: 60_000 },
    async () => {
      const url = await server.createDatabase();
      const a = lease(url, 'a', { ttlMs: 10_000, renewMs: 2000 });
      const b = lease(url, 'b', { ttlMs: 10_000, renewMs: 2000 });
      await a.open();
      await b.open();
      const campaign = new AbortController();
      await a.campaign(campaign.signal);
      let taken = 0;
      const taking = b.campaign(campaign.signal).then(() => (taken = Date.now()));
      // b is listening once it has tried once and lost.
      await until(async () => (await b.read()).holder === 'a' && b.view !== null);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const releasedAt = Date.now();
      await a.release();
      await taking;
      const handOverMs = taken - releasedAt;
      expect(handOverMs).toBeLessThan(1000);
      console.log(`[measure] lease: a released lease was taken ${handOverMs}ms later (TTL 10s, renew 2s)`);
      campaign.abort();
    },
  );
});
