import { FakeClock, testLogger } from '@dist-exec/testing';
import { describe, expect, it } from 'vitest';
import { HistoryGc, nextBatch } from '../src/controllers/history-gc.js';
import { MemoryStore } from '../src/store/memory-store.js';
import { makeJob } from './helpers.js';

/**
 * A real memory store holding `count` finished jobs whose deletes cost
 * `msPerJob` of the fake clock each, as a large SQLite file's cold pages do:
 * the batches history GC asks for, and what each one cost.
 */
async function costlyStore(clock: FakeClock, count: number, msPerJob: number) {
  const store = new MemoryStore();
  for (let seq = 1; seq <= count; seq += 1)
    store.putJob(makeJob({}, { id: `job-${seq}`, seq, state: 'COMPLETED', finishedAtMs: seq }));
  await store.flush();
  const batches: { limit: number; deleted: number; ms: number }[] = [];
  const remove = store.deleteFinishedJobs.bind(store);
  store.deleteFinishedJobs = async (prune) => {
    const deleted = await remove(prune);
    clock.jump(deleted * msPerJob);
    batches.push({ limit: prune.limit, deleted, ms: deleted * msPerJob });
    return deleted;
  };
  return { store, batches };
}

function gcOf(store: MemoryStore, clock: FakeClock, maxJobs: number): HistoryGc {
  return new HistoryGc({ store, clock, logger: testLogger(), retentionMs: 0, maxJobs, intervalMs: 60_000 });
}

describe('history GC batches', () => {
  it('deletes cheap history a thousand jobs at a time', async () => {
    const clock = new FakeClock();
    const { store, batches } = await costlyStore(clock, 5000, 1 / 1024);
    expect(await gcOf(store, clock, 500).runOnce()).toBe(4500);
    expect(batches.map((b) => b.deleted)).toEqual([1000, 1000, 1000, 1000, 500]);
    expect(await store.countJobs([])).toBe(500);
  });

  it('shrinks its batches where deletes are slow, so none holds the master for long, and still deletes all that is due', async () => {
    const clock = new FakeClock();
    // 1/8 ms per job: a batch of 1,000 would stall submissions for 125 ms.
    const { store, batches } = await costlyStore(clock, 20_000, 1 / 8);
    const gc = gcOf(store, clock, 1000);
    expect(await gc.runOnce()).toBe(19_000);
    expect(await store.countJobs([])).toBe(1000);
    // The first batch, of unknown cost, is the only one over the budget (8 ms).
    expect(batches[0]?.ms).toBe(125);
    for (const batch of batches.slice(1)) expect(batch).toMatchObject({ limit: 64 });
    expect(Math.max(...batches.slice(1).map((b) => b.ms))).toBe(8);

    // The next pass starts from the size this one learnt.
    for (let seq = 20_001; seq <= 20_500; seq += 1)
      store.putJob(makeJob({}, { id: `job-${seq}`, seq, state: 'COMPLETED', finishedAtMs: seq }));
    await store.flush();
    const before = batches.length;
    expect(await gc.runOnce()).toBe(500);
    expect(batches[before]?.limit).toBe(64);
  });

  it("follows the store's own budget where its deletes do not hold the master's loop (PostgreSQL)", async () => {
    const clock = new FakeClock();
    // 1/32 ms per job: a batch of 1,000 takes 31 ms, over SQLite's 8 ms but within a 100 ms budget.
    const { store, batches } = await costlyStore(clock, 5000, 1 / 32);
    Object.assign(store, { gcBatchMs: 100 });
    expect(await gcOf(store, clock, 1000).runOnce()).toBe(4000);
    expect(batches.map((b) => b.deleted)).toEqual([1000, 1000, 1000, 1000, 0]);
  });

  it('grows a batch at most twofold, and keeps it within its bounds', () => {
    expect(nextBatch(100, 100, 1, 8, 1000)).toBe(200);
    expect(nextBatch(100, 100, 0, 8, 1000)).toBe(200);
    expect(nextBatch(800, 800, 1, 8, 1000)).toBe(1000);
    expect(nextBatch(1000, 1000, 100, 8, 1000)).toBe(80);
    expect(nextBatch(80, 80, 1000, 8, 1000)).toBe(20);
    expect(nextBatch(10, 10, 1000, 8, 10)).toBe(10);
  });
});
