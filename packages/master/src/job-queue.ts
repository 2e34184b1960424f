import type { Job } from '@dist-exec/core';

/** Higher priority first; equal priorities in submit order (FIFO). */
export function runsBefore(a: Job, b: Job): boolean {
  return a.spec.priority !== b.spec.priority ? a.spec.priority > b.spec.priority : a.seq < b.seq;
}

/**
 * The pending queue: a binary heap with an index, so push, pop and removal of
 * any job (cancel) are O(log n).
 */
export class JobQueue {
  #heap: Job[] = [];
  #index = new Map<string, number>();
  /** How many queued jobs share each requirement class (see `classOf`). */
  #classes = new Map<string, number>();
  readonly #classOf: (job: Job) => string;

  /** `classOf` groups jobs that fit the same nodes, so a scheduler pass can stop early. */
  constructor(classOf: (job: Job) => string = () => '') {
    this.#classOf = classOf;
  }

  /** Requirement classes present in the queue. */
  classes(): IterableIterator<string> {
    return this.#classes.keys();
  }

  get size(): number {
    return this.#heap.length;
  }

  has(jobId: string): boolean {
    return this.#index.has(jobId);
  }

  push(job: Job): void {
    if (this.#index.has(job.id)) return;
    this.#heap.push(job);
    this.#index.set(job.id, this.#heap.length - 1);
    const cls = this.#classOf(job);
    this.#classes.set(cls, (this.#classes.get(cls) ?? 0) + 1);
    this.#up(this.#heap.length - 1);
  }

  peek(): Job | undefined {
    return this.#heap[0];
  }

  pop(): Job | undefined {
    const top = this.#heap[0];
    if (top) this.#removeAt(0);
    return top;
  }

  remove(jobId: string): boolean {
    const i = this.#index.get(jobId);
    if (i === undefined) return false;
    this.#removeAt(i);
    return true;
  }

  /** Counts queued jobs by priority (for metrics and snapshots). */
  countByPriority(): Map<number, number> {
    const counts = new Map<number, number>();
    for (const job of this.#heap) counts.set(job.spec.priority, (counts.get(job.spec.priority) ?? 0) + 1);
    return counts;
  }

  #removeAt(i: number): void {
    const removed = this.#heap[i] as Job;
    const last = this.#heap.pop() as Job;
    this.#index.delete(removed.id);
    const cls = this.#classOf(removed);
    const left = (this.#classes.get(cls) ?? 1) - 1;
    if (left > 0) this.#classes.set(cls, left);
    else this.#classes.delete(cls);
    if (i === this.#heap.length) return;
    this.#heap[i] = last;
    this.#index.set(last.id, i);
    this.#up(i);
    this.#down(i);
  }

  #up(start: number): void {
    let i = start;
    const job = this.#heap[i] as Job;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = this.#heap[parent] as Job;
      if (!runsBefore(job, p)) break;
      this.#heap[i] = p;
      this.#index.set(p.id, i);
      i = parent;
    }
    this.#heap[i] = job;
    this.#index.set(job.id, i);
  }

  #down(start: number): void {
    let i = start;
    const n = this.#heap.length;
    const job = this.#heap[i] as Job;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && runsBefore(this.#heap[right] as Job, this.#heap[left] as Job) ? right : left;
      const c = this.#heap[child] as Job;
      if (!runsBefore(c, job)) break;
      this.#heap[i] = c;
      this.#index.set(c.id, i);
      i = child;
    }
    this.#heap[i] = job;
    this.#index.set(job.id, i);
  }
}
