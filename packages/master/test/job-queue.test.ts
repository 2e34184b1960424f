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
});
