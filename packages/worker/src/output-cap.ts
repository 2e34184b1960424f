/**
 * Keeps one output stream of an attempt within its byte limit by keeping its
 * head and its tail: the last lines usually carry the error (`kubectl logs`
 * and `docker logs` keep the newest output for the same reason).
 *
 * The first half of the limit is passed on as it comes (a follower sees it
 * live). Past that, output is held back, at most the other half: the newest
 * bytes stay and older ones are dropped and counted. At the end the held tail
 * is passed on, after a line saying how many bytes were dropped where the cut
 * is. Memory stays within the limit (plus one chunk), however much the job writes.
 */

const NEWLINE = 0x0a;
/** The tail starts at a line: at most this much of a partial first line is dropped to get there. */
const ALIGN_WITHIN = 4096;

export class OutputCap {
  readonly #limit: number;
  readonly #headLimit: number;
  readonly #tailLimit: number;
  #head = 0;
  #headEndsLine = true;
  #tail: Uint8Array[] = [];
  #tailBytes = 0;
  /** Whether the last byte dropped (before the tail) ended a line. */
  #droppedEndsLine = true;
  /** Bytes dropped from the middle so far. */
  dropped = 0;

  constructor(limit: number) {
    this.#limit = limit;
    this.#headLimit = Math.ceil(limit / 2);
    this.#tailLimit = limit - this.#headLimit;
  }

  /** The part of `data` to pass on now (empty when it is held back or dropped). */
  take(data: Uint8Array): Uint8Array {
    const room = this.#headLimit - this.#head;
    if (room >= data.length) {
      this.#pass(data);
      return data;
    }
    const now = room > 0 ? data.subarray(0, room) : EMPTY;
    if (now.length) this.#pass(now);
    this.#hold(room > 0 ? data.subarray(room) : data);
    return now;
  }

  #pass(data: Uint8Array): void {
    this.#head += data.length;
    if (data.length) this.#headEndsLine = data[data.length - 1] === NEWLINE;
  }

  #hold(data: Uint8Array): void {
    if (this.#tailLimit === 0) {
      this.#drop(data);
      return;
    }
    this.#tail.push(data);
    this.#tailBytes += data.length;
    while (this.#tailBytes > this.#tailLimit) {
      const first = this.#tail[0] as Uint8Array;
      const excess = this.#tailBytes - this.#tailLimit;
      if (first.length <= excess) {
        this.#tail.shift();
        this.#tailBytes -= first.length;
        this.#drop(first);
      } else {
        this.#tail[0] = first.subarray(excess);
        this.#tailBytes -= excess;
        this.#drop(first.subarray(0, excess));
      }
    }
  }

  #drop(data: Uint8Array): void {
    if (data.length === 0) return;
    this.dropped += data.length;
    this.#droppedEndsLine = data[data.length - 1] === NEWLINE;
  }

  /**
   * What to pass on at the end of the stream: the held tail, after the marker
   * line when something was dropped. Empty when everything fit.
   */
  finish(stream: string): Uint8Array[] {
    const tail = this.#tail;
    this.#tail = [];
    this.#tailBytes = 0;
    if (this.dropped === 0) return tail;
    if (!this.#droppedEndsLine) this.#alignTail(tail);
    const marker =
      `${this.#headEndsLine ? '' : '\n'}[dist-exec: ${this.dropped} bytes of ${stream} dropped here: ` +
      `over the output limit (${this.#limit} bytes), only its head and its tail are kept]\n`;
    return [Buffer.from(marker), ...tail];
  }

  /** Drops the partial line the tail starts with, when a line ends soon enough. */
  #alignTail(tail: Uint8Array[]): void {
    let scanned = 0;
    for (let i = 0; i < tail.length && scanned < ALIGN_WITHIN; i += 1) {
      const piece = tail[i] as Uint8Array;
      const at = piece.subarray(0, ALIGN_WITHIN - scanned).indexOf(NEWLINE);
      if (at < 0) {
        scanned += piece.length;
        continue;
      }
      for (const dropped of tail.splice(0, i)) this.dropped += dropped.length;
      this.dropped += at + 1;
      tail[0] = piece.subarray(at + 1);
      return;
    }
  }
}

const EMPTY = new Uint8Array(0);
