import { describe, expect, it } from 'vitest';
import { validate, version } from 'uuid';
import { isJobId, newJobId } from '@dist-exec/core';

describe('newJobId', () => {
  it('makes valid, unique UUIDv7s that sort in the order they were made', () => {
    const ids = Array.from({ length: 20_000 }, () => newJobId());
    for (const id of ids.slice(0, 500)) {
      expect(validate(id) && version(id) === 7 && isJobId(id)).toBe(true);
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });

  it('carries the time in its first 48 bits', () => {
    const ms = Date.UTC(2030, 0, 2, 3, 4, 5, 678);
    expect(parseInt(newJobId(ms).replace(/-/g, '').slice(0, 12), 16)).toBe(ms);
  });

  it('keeps increasing within one millisecond and when the clock steps back', () => {
    const ms = Date.UTC(2031, 5, 6);
    const ids = [newJobId(ms), newJobId(ms), newJobId(ms), newJobId(ms - 5000), newJobId(ms - 5000), newJobId(ms + 1)];
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
