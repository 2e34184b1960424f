import type { Job, JobSpec } from '@dist-exec/core';
import { requirementKey } from '../placement/filter.js';

/** Higher priority first; equal priorities in submit order (FIFO). */
export function runsBefore(a: Job, b: Job): boolean {
  return a.spec.priority !== b.spec.priority ? a.spec.priority > b.spec.priority : a.seq < b.seq;
}

/**
 * Between a job's requirement class and the name of the token that submitted
 * it in a queue class key: jobs of one token share classes, so a token at
 * its --max-running is skipped class by class, like a class no node can
 * take, and the scheduler never looks at its jobs one by one.
 */
export const SUBMITTER_SEPARATOR = '\u0000';

/** The token name a queue class key carries ('' when the jobs have none). */
export function submitterOfClass(cls: string): string {
  const at = cls.lastIndexOf(SUBMITTER_SEPARATOR);
  return at < 0 ? '' : cls.slice(at + 1);
}

/** Requirement classes in use, so that queued jobs of one class share one key string instead of one each. */
const MAX_INTERNED_CLASSES = 10_000;

/**
 * A JobQueue's `classOf`: the job's requirement class and the token that
 * submitted it (see TokenUsage: a token at its running quota is skipped by
 * class), one string per class.
 */
export function classInterner(): (job: Job) => string {
  let keys = new Map<string, string>();
  return (job) => {
    const requirements = requirementKey(job.spec);
    const key = job.submittedBy ? `${requirements}${SUBMITTER_SEPARATOR}${job.submittedBy}` : requirements;
    const known = keys.get(key);
    if (known !== undefined) return known;
    if (keys.size >= MAX_INTERNED_CLASSES) keys = new Map();
    keys.set(key, key);
    return key;
  };
}

/** Requirement classes to pass over (a Map or Set of class keys will do). */
export interface ClassFilter {
  has(cls: string, spec: JobSpec): boolean;
  /** If present, answers are cached per class until it changes. */
  readonly version?: number;
}

/** A queued job, where it sits in its class's heap, and its order (copied, so sifting touches only entries). */
interface Entry {
  readonly job: Job;
  readonly heap: JobHeap;
  readonly priority: number;
  readonly seq: number;
  pos: number;
}

function entryBefore(a: Entry, b: Entry): boolean {
  return a.priority !== b.priority ? a.priority > b.priority : a.seq < b.seq;
}

/** One requirement class: a binary heap of its jobs in run order. Entries know their position, so removal is O(log n). */
class JobHeap {
  readonly entries: Entry[] = [];
  /** The last `ClassFilter` answer for this class, and the filter version it holds for. */
  skipped = false;
  skipVersion = -1;

  constructor(readonly key: string) {}

  get head(): Entry | undefined {
    return this.entries[0];
  }

  push(entry: Entry): void {
    entry.pos = this.entries.length;
    this.entries.push(entry);
    this.#up(entry.pos);
  }

  removeAt(i: number): void {
    const entries = this.entries;
    const last = entries.pop() as Entry;
    if (i === entries.length) return;
    entries[i] = last;
    last.pos = i;
    this.#up(i);
    this.#down(last.pos);
  }

  #up(start: number): void {
    const entries = this.entries;
    const entry = entries[start] as Entry;
    let i = start;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = entries[parent] as Entry;
      if (!entryBefore(entry, p)) break;
      entries[i] = p;
      p.pos = i;
      i = parent;
    }
    entries[i] = entry;
    entry.pos = i;
  }

  #down(start: number): void {
    const entries = this.entries;
    const n = entries.length;
    const entry = entries[start] as Entry;
    let i = start;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && entryBefore(entries[right] as Entry, entries[left] as Entry) ? right : left;
      const c = entries[child] as Entry;
      if (!entryBefore(c, entry)) break;
      entries[i] = c;
      c.pos = i;
      i = child;
    }
    entries[i] = entry;
    entry.pos = i;
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
  readonly #entries = new Map<string, Entry>();
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
    return this.#entries.size;
  }

  has(jobId: string): boolean {
    return this.#entries.has(jobId);
  }

  /** The requirement class of a queued job. */
  classOf(jobId: string): string | undefined {
    return this.#entries.get(jobId)?.heap.key;
  }

  push(job: Job): void {
    if (this.#entries.has(job.id)) return;
    const cls = this.#classOf(job);
    let heap = this.#byClass.get(cls);
    if (!heap) this.#byClass.set(cls, (heap = new JobHeap(cls)));
    const entry: Entry = { job, heap, priority: job.spec.priority, seq: job.seq, pos: 0 };
    this.#entries.set(job.id, entry);
    heap.push(entry);
  }

  /** The job that runs next, of any class not in `skip`. */
  peek(skip?: ClassFilter): Job | undefined {
    return this.#best(skip)?.head?.job;
  }

  /** Removes and returns the job that runs next, of any class not in `skip`. */
  pop(skip?: ClassFilter): Job | undefined {
    const job = this.peek(skip);
    if (job) this.remove(job.id);
    return job;
  }

  remove(jobId: string): boolean {
    const entry = this.#entries.get(jobId);
    if (!entry) return false;
    this.#entries.delete(jobId);
    entry.heap.removeAt(entry.pos);
    if (entry.heap.entries.length === 0) this.#byClass.delete(entry.heap.key);
    return true;
  }

  /** Calls `fn` with each requirement class and the job that runs next in it. */
  forEachHead(fn: (cls: string, head: Job) => void): void {
    for (const heap of this.#byClass.values()) fn(heap.key, (heap.head as Entry).job);
  }

  /** Counts queued jobs by priority (for metrics and snapshots). */
  countByPriority(): Map<number, number> {
    const counts = new Map<number, number>();
    for (const { job } of this.#entries.values())
      counts.set(job.spec.priority, (counts.get(job.spec.priority) ?? 0) + 1);
    return counts;
  }

  #ask(skip: ClassFilter, heap: JobHeap, head: Entry, version: number): boolean {
    heap.skipped = skip.has(heap.key, head.job.spec);
    heap.skipVersion = version;
    return heap.skipped;
  }

  #best(skip?: ClassFilter): JobHeap | undefined {
    let best: JobHeap | undefined;
    let bestHead: Entry | undefined;
    const version = skip?.version ?? -1;
    for (const heap of this.#byClass.values()) {
      const head = heap.head as Entry;
      if (bestHead && !entryBefore(head, bestHead)) continue;
      if (skip && (version >= 0 && heap.skipVersion === version ? heap.skipped : this.#ask(skip, heap, head, version)))
        continue;
      best = heap;
      bestHead = head;
    }
    return best;
  }
}
