import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EVENT, EventReader } from '@dist-exec/worker';

function frame(type: number, id: number, body: Buffer): Buffer {
  const header = Buffer.alloc(9);
  header[0] = type;
  header.writeUInt32BE(id, 1);
  header.writeUInt32BE(body.length, 5);
  return Buffer.concat([header, body]);
}

const big = Buffer.from(Array.from({ length: 70_000 }, (_, i) => i % 251));
const stream = Buffer.concat([
  frame(EVENT.started, 1, Buffer.from('4242')),
  frame(EVENT.stdout, 1, big),
  frame(EVENT.started, 2, Buffer.from('4243')),
  frame(EVENT.stderr, 1, Buffer.from('warning\n')),
  frame(EVENT.stdout, 2, Buffer.from('two')),
  frame(EVENT.ended, 2, Buffer.from('0 0')),
  frame(EVENT.stdout, 1, Buffer.alloc(0)),
  frame(EVENT.ended, 1, Buffer.from('-1 9')),
]);

function read(chunks: Buffer[]): { events: string[]; output: Map<string, Buffer> } {
  const events: string[] = [];
  const output = new Map<string, Buffer>();
  const reader = new EventReader({
    event: (type, id, body) => events.push(`${String.fromCharCode(type)}${id}:${body.toString()}`),
    output: (type, id, data) => {
      const key = `${String.fromCharCode(type)}${id}`;
      output.set(key, Buffer.concat([output.get(key) ?? Buffer.alloc(0), data]));
    },
  });
  for (const chunk of chunks) reader.push(chunk);
  return { events, output };
}

describe('EventReader', () => {
  const whole = read([stream]);

  it('reads events and output of several jobs from one stream', () => {
    expect(whole.events).toEqual(['S1:4242', 'S2:4243', 'X2:0 0', 'X1:-1 9']);
    expect(whole.output.get('O1')).toEqual(big);
    expect(whole.output.get('R1')?.toString()).toBe('warning\n');
    expect(whole.output.get('O2')?.toString()).toBe('two');
  });

  it('reads the same however the stream is cut into reads (headers and bodies split anywhere)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 40 }), (cuts) => {
        const points = [0, ...cuts.sort((a, b) => a - b), stream.length];
        const chunks = points.slice(1).map((end, i) => stream.subarray(points[i], end));
        const split = read(chunks);
        expect(split.events).toEqual(whole.events);
        // Buffer.equals, not toEqual: a deep equal of 70,000 bytes, 300 times, is slow on a busy machine.
        expect([...split.output.keys()]).toEqual([...whole.output.keys()]);
        for (const [key, data] of whole.output) expect(split.output.get(key)?.equals(data)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('reads a stream delivered one byte at a time', () => {
    const bytes = Array.from({ length: 200 }, (_, i) => stream.subarray(i, i + 1));
    const head = read(bytes);
    expect(head.events).toEqual(['S1:4242']);
    // 13 bytes of the started frame, 9 of the output frame's header, then its body.
    expect(head.output.get('O1')).toEqual(big.subarray(0, 200 - 13 - 9));
  });
});
