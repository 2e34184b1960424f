/** Deepest nesting of arrays and objects a JSON body may have; a job spec needs 3. */
export const MAX_JSON_DEPTH = 64;

const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Watches JSON text for arrays and objects nested deeper than a limit, part
 * by part as a body arrives, so that a body too deep is refused at its 65th
 * `[` instead of read whole and parsed: JSON.parse of a body nested a million
 * deep costs the master most of a second of CPU and a hundred megabytes,
 * during which it serves no one else. One pass over the bytes, a few
 * milliseconds for 2 MiB. Brackets inside strings do not count; the parse
 * that follows finds every other error.
 */
export class NestingScanner {
  readonly #limit: number;
  #depth = 0;
  #inString = false;
  /** The last part ended inside a string, right after a backslash. */
  #escaped = false;

  constructor(limit = MAX_JSON_DEPTH) {
    this.#limit = limit;
  }

  /** Reads the next part of the text; true once it has nested deeper than the limit. */
  tooDeep(part: Uint8Array): boolean {
    let depth = this.#depth;
    let inString = this.#inString;
    let i = 0;
    if (this.#escaped) {
      this.#escaped = false;
      i = 1;
    }
    for (; i < part.length; i += 1) {
      const byte = part[i];
      if (inString) {
        if (byte === BACKSLASH) {
          i += 1;
          if (i === part.length) this.#escaped = true;
        } else if (byte === QUOTE) inString = false;
      } else if (byte === QUOTE) inString = true;
      else if (byte === OPEN_BRACKET || byte === OPEN_BRACE) {
        depth += 1;
        if (depth > this.#limit) return true;
      } else if (byte === CLOSE_BRACKET || byte === CLOSE_BRACE) depth -= 1;
    }
    this.#depth = depth;
    this.#inString = inString;
    return false;
  }
}
