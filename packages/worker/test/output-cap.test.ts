import { describe, expect, it } from 'vitest';
import { OutputCap } from '@dist-exec/worker';

function run(limit: number, pieces: string[]): { live: string; end: string; dropped: number } {
  const cap = new OutputCap(limit);
  let live = '';
  for (const piece of pieces) live += Buffer.from(cap.take(Buffer.from(piece))).toString();
  const end = cap
    .finish('stdout')
    .map((p) => Buffer.from(p).toString())
    .join('');
  return { live, end, dropped: cap.dropped };
}

describe('OutputCap', () => {
  it('passes everything on when it fits, the part past the head at the end', () => {
    expect(run(10, ['abc', 'de', 'fgh'])).toEqual({ live: 'abcde', end: 'fgh', dropped: 0 });
    expect(run(10, [])).toEqual({ live: '', end: '', dropped: 0 });
  });

  it('keeps the first and the newest halves, and starts the tail on a line', () => {
    const lines = Array.from({ length: 1000 }, (_, i) => `line ${i}\n`);
    const { live, end, dropped } = run(200, lines);
    expect(live).toBe(lines.join('').slice(0, 100));
    const [marker, tail] = [end.slice(0, end.indexOf(']\n') + 2), end.slice(end.indexOf(']\n') + 2)];
    expect(marker).toMatch(/^\n\[dist-exec: \d+ bytes of stdout dropped here: over the output limit \(200 bytes\)/);
    expect(tail.endsWith('line 999\n')).toBe(true);
    expect(tail.startsWith('line ')).toBe(true);
    expect(tail.length).toBeLessThanOrEqual(100);
    // Every byte is either passed on or counted.
    expect(live.length + tail.length + dropped).toBe(lines.join('').length);
    expect(marker).toContain(`${dropped} bytes`);
  });

  it('holds at most its limit, however much passes through', () => {
    const cap = new OutputCap(1024);
    const chunk = Buffer.alloc(65536, 0x61);
    for (let i = 0; i < 200; i += 1) cap.take(chunk);
    const end = cap.finish('stderr');
    const tailBytes = end.slice(1).reduce((n, p) => n + p.length, 0);
    expect(tailBytes).toBe(512);
    expect(cap.dropped).toBe(200 * 65536 - 1024);
  });
});
