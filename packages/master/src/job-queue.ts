import type { Job } from '@dist-exec/core';

/** Higher priority first; equal priorities in submit order (FIFO). */
export function runsBefore(a: Job, b: Job): boolean {
  return a.spec.priority !== b.spec.priority ? a.spec.priority > b.spec.priority : a.seq < b.seq;
}

/** A binary heap of jobs in run order, with an index, so push, pop and removal of any job are O(log n). */
class JobHeap {
  #heap: Job[] = [];
  #index = new Map<string, number>();

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

  jobs(): readonly Job[] {
    return this.#heap;
  }

  #removeAt(i: number): void {
    const removed = this.#heap[i] as Job;
    const last = this.#heap.pop() as Job;
    this.#index.delete(removed.id);
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

/**
 * The pending queue, one heap per requirement class (jobs of one class fit
 * the same nodes). The next job is the best of the class heads, so a
 * scheduler pass that finds a class cannot be placed skips all of its jobs at
 * once instead of popping through them: O(classes + log n) per job.
 */
export class JobQueue {
  readonly #byClass = new Map<string, JobHeap>();
  readonly #classOfJob = new Map<string, string>();
  readonly #classOf: (job: Job) => string;

  /** `classOf` groups jobs that fit the same nodes. */
  constructor(classOf: (job: Job) => string = () => '') {
    this.#classOf = classOf;
  }

  /** Requirement classes present in the queue. */
  classes(): IterableIterator<string> {
    return this.#byClass.keys();
  }

  get size(): number {
    return this.#classOfJob.size;
  }

  has(jobId: string): boolean {
    return this.#classOfJob.has(jobId);
  }

  push(job: Job): void {
    if (this.#classOfJob.has(job.id)) return;
    const cls = this.#classOf(job);
    let heap = this.#byClass.get(cls);
    if (!heap) this.#byClass.set(cls, (heap = new JobHeap()));
    heap.push(job);
    this.#classOfJob.set(job.id, cls);
  }

  /** The job that runs next, of any class not in `skip`. */
  peek(skip?: ReadonlyMap<string, unknown>): Job | undefined {
    return this.#best(skip)?.peek();
  }

  /** Removes and returns the job that runs next, of any class not in `skip`. */
  pop(skip?: ReadonlyMap<string, unknown>): Job | undefined {
    const heap = this.#best(skip);
    const job = heap?.pop();
    if (job) this.#forget(job.id, heap as JobHeap);
    return job;
  }

  remove(jobId: string): boolean {
    const cls = this.#classOfJob.get(jobId);
    const heap = cls === undefined ? undefined : this.#byClass.get(cls);
    if (!heap?.remove(jobId)) return false;
    this.#forget(jobId, heap);
    return true;
  }

  /** Counts queued jobs by priority (for metrics and snapshots). */
  countByPriority(): Map<number, number> {
    const counts = new Map<number, number>();
    for (const heap of this.#byClass.values()) {
      for (const job of heap.jobs()) counts.set(job.spec.priority, (counts.get(job.spec.priority) ?? 0) + 1);
    }
    return counts;
  }

  #best(skip?: ReadonlyMap<string, unknown>): JobHeap | undefined {
    let best: JobHeap | undefined;
    for (const [cls, heap] of this.#byClass) {
      if (skip?.has(cls)) continue;
      const head = heap.peek() as Job;
      if (!best || runsBefore(head, best.peek() as Job)) best = heap;
    }
    return best;
  }

  #forget(jobId: string, heap: JobHeap): void {
    const cls = this.#classOfJob.get(jobId) as string;
    this.#classOfJob.delete(jobId);
    if (heap.size === 0) this.#byClass.delete(cls);
  }
}
