/** One stretch of time during which the master itself did not run. */
interface Pause {
  endMs: number;
  durationMs: number;
}

/**
 * Remembers when the master's own event loop was stalled (SIGSTOP, swapping,
 * a long GC pause, a starved CPU), so that time is not held against nodes:
 * their heartbeats sat unread in our sockets meanwhile. Without this, a
 * master that wakes up from a 20 s stall would declare every node UNHEALTHY
 * before reading the heartbeats waiting for it.
 */
export class PauseLedger {
  readonly #pauses: Pause[] = [];
  readonly #keepMs: number;

  /** Pauses older than `keepMs` are forgotten (no silence that old is still judged). */
  constructor(keepMs: number) {
    this.#keepMs = keepMs;
  }

  record(endMs: number, durationMs: number): void {
    if (durationMs <= 0) return;
    this.#pauses.push({ endMs, durationMs });
    while (this.#pauses.length > 0 && (this.#pauses[0] as Pause).endMs < endMs - this.#keepMs) this.#pauses.shift();
  }

  /** How much of the time since `sinceMs` the master spent stalled. */
  pausedSince(sinceMs: number): number {
    let total = 0;
    for (let i = this.#pauses.length - 1; i >= 0; i -= 1) {
      const pause = this.#pauses[i] as Pause;
      if (pause.endMs <= sinceMs) break;
      total += Math.min(pause.durationMs, pause.endMs - sinceMs);
    }
    return total;
  }

  /** Time since `lastMs` during which the master was running and could have heard from a node. */
  silenceSince(lastMs: number, nowMs: number): number {
    return Math.max(0, nowMs - lastMs - this.pausedSince(lastMs));
  }
}
