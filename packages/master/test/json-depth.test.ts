import { describe, expect, it } from 'vitest';
import { NestingScanner } from '@dist-exec/master';

/** Feeds the text in parts of `size` bytes; true once too deep. */
function tooDeep(text: string, size: number, limit = 64): boolean {
  const bytes = Buffer.from(text);
  const scanner = new NestingScanner(limit);
  for (let at = 0; at < bytes.length; at += size) if (scanner.tooDeep(bytes.subarray(at, at + size))) return true;
  return false;
}

describe('NestingScanner', () => {
  it('refuses the 65th level of arrays and objects, in whatever parts the body arrives', () => {
    const nested = (depth: number): string => `${'[{"a":'.repeat(depth)}1${'}]'.repeat(depth)}`;
    for (const size of [1, 2, 3, 7, 1000]) {
      // Each `[{` is two levels.
      expect(tooDeep(nested(32), size)).toBe(false);
      expect(tooDeep(`${nested(32).slice(0, -2)}`, size)).toBe(false);
      expect(tooDeep(`[${nested(32)}]`, size)).toBe(true);
    }
  });

  it('does not count brackets in strings, escaped quotes included, across part boundaries', () => {
    const text = JSON.stringify({ command: `echo "${'['.repeat(200)}\\"${'{'.repeat(200)}"`, env: { A: '\\' } });
    for (const size of [1, 2, 5, 64, 4096]) expect(tooDeep(text, size)).toBe(false);
    // After a string ends, brackets count again.
    expect(tooDeep(`["\\\\"${'['.repeat(64)}`, 1)).toBe(true);
  });
});
