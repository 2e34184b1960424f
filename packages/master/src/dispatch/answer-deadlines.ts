import type { Clock, Timer } from '@dist-exec/core';

/** What waits for a worker's first answer. */
export interface AwaitingAnswer {
  /** No answer came within the dispatch timeout. */
  timedOut(): void;
}

/**
 * The dispatch timeouts of every attempt still waiting for its worker's first
 * answer, on one timer. The timeout is the same for all, so deadlines come in
 * the order attempts are added (a Map keeps that order): adding and removing
 * one is a Map operation instead of a timer of its own per attempt, which at
 * tens of thousands of dispatches a second is garbage worth saving.
 */
export class AnswerDeadlines {
  readonly #clock: Clock;
  readonly #timeoutMs: number;
  readonly #waiting = new Map<AwaitingAnswer, number>();
  #timer: Timer | null = null;
  #stopped = false;

  constructor(clock: Clock, timeoutMs: number) {
    this.#clock = clock;
    this.#timeoutMs = timeoutMs;
  }

  get size(): number {
    return this.#waiting.size;
  }

  add(waiter: AwaitingAnswer): void {
    if (this.#stopped) return;
    this.#waiting.set(waiter, this.#clock.now() + this.#timeoutMs);
    if (!this.#timer) this.#arm(this.#timeoutMs);
  }

  /** The answer came (or the wait is over some other way). The timer stays: it re-arms for what is left when it fires. */
  delete(waiter: AwaitingAnswer): void {
    this.#waiting.delete(waiter);
  }

  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#timer = null;
    this.#waiting.clear();
  }

  #arm(ms: number): void {
    // A waiter that times out may add another (a retry) while #fire runs.
    this.#timer?.cancel();
    this.#timer = this.#clock.setTimeout(() => this.#fire(), ms);
  }

  #fire(): void {
    this.#timer = null;
    const now = this.#clock.now();
    for (const [waiter, deadline] of this.#waiting) {
      if (deadline > now) {
        this.#arm(deadline - now);
        return;
      }
      this.#waiting.delete(waiter);
      waiter.timedOut();
    }
  }
}
