import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/** Milliseconds this thread has been on a cpu (Linux), or undefined where that cannot be read. */
export function threadCpuMs(): number | undefined {
  try {
    // "<ns on cpu> <ns waiting to run> <timeslices>"
    return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return undefined;
  }
}

/**
 * What share of the wall-clock time between `start()` and `share()` this
 * thread actually ran (at most 1). On a machine shared with other work an
 * in-process loop is descheduled for part of it; times measured with the
 * wall clock inside the loop, multiplied by this share, are what the loop
 * would have taken with a core to itself.
 */
export class RunShare {
  #wall = 0;
  #cpu: number | undefined;

  start(): void {
    this.#wall = performance.now();
    this.#cpu = threadCpuMs();
  }

  share(): number {
    const cpu = threadCpuMs();
    const wall = performance.now() - this.#wall;
    if (cpu === undefined || this.#cpu === undefined || wall <= 0) return 1;
    return Math.min(1, (cpu - this.#cpu) / wall);
  }
}
