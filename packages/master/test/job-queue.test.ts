import { describe, expect, it } from 'vitest';
import { JobQueue } from '@dist-exec/master';
import { makeJob } from './helpers.js';

describe('JobQueue', () => {
  it('pops by priority, then in submit order', () => {
    const queue = new JobQueue();
    const low1 = makeJob({ priority: 0 });
    const high = makeJob({ priority: 5 });
    const low2 = makeJob({ priority: 0 });
    const negative = makeJob({ priority: -1 });
    const high2 = makeJob({ priority: 5 });
    for (const job of [low1, high, low2, negative, high2]) queue.push(job);
    expect([...Array(5)].map(() => queue.pop()?.id)).toEqual([high.id, high2.id, low1.id, low2.id, negative.id]);
    expect(queue.pop()).toBeUndefined();
  });

  it('removes any job and keeps the order of the rest', () => {
    const queue = new JobQueue();
    const jobs = Array.from({ length: 50 }, (_, i) => makeJob({ priority: i % 3 }));
    for (const job of jobs) queue.push(job);
    const removed = jobs.filter((_, i) => i % 4 === 0);
    for (const job of removed) expect(queue.remove(job.id)).toBe(true);
    expect(queue.remove(removed[0]!.id)).toBe(false);
    const expected = jobs
      .filter((j) => !removed.includes(j))
      .sort((a, b) => b.spec.priority - a.spec.priority || a.seq - b.seq)
      .map((j) => j.id);
    const popped: string[] = [];
    while (queue.size > 0) popped.push(queue.pop()!.id);
    expect(popped).toEqual(expected);
  });

  it('ignores a job pushed twice and counts requirement classes', () => {
    const queue = new JobQueue((job) => job.spec.type);
    const job = makeJob();
    queue.push(job);
    queue.push(job);
    expect(queue.size).toBe(1);
    expect([...queue.classes()]).toEqual(['command']);
    queue.pop();
    expect([...queue.classes()]).toEqual([]);
  });

  it('keeps one order across requirement classes, and skips the classes a pass found unplaceable', () => {
    const queue = new JobQueue((job) => String(job.spec.cpu));
    const small1 = makeJob({ cpu: 1 });
    const big1 = makeJob({ cpu: 8 });
    const small2 = makeJob({ cpu: 1, priority: 3 });
    const big2 = makeJob({ cpu: 8 });
    const mid = makeJob({ cpu: 2 });
    for (const job of [small1, big1, small2, big2, mid]) queue.push(job);
    expect(queue.peek()?.id).toBe(small2.id);
    // With the 8-cpu class blocked, the pass sees only the others, in their order.
    const blocked = new Map([['8', 'no room']]);
    expect([queue.pop(blocked), queue.pop(blocked), queue.pop(blocked)].map((job) => job?.id)).toEqual([
      small2.id,
      small1.id,
      mid.id,
    ]);
    expect(queue.pop(blocked)).toBeUndefined();
    expect(queue.size).toBe(2);
    expect([...queue.classes()]).toEqual(['8']);
    expect(queue.remove(big1.id)).toBe(true);
    expect(queue.pop()?.id).toBe(big2.id);
    expect(queue.size).toBe(0);
    expect([...queue.classes()]).toEqual([]);
  });
});
