import { describe, expect, it } from 'vitest';
import {
  formatBytes,
  formatDuration,
  InvalidArgumentError,
  parseBytes,
  parseDuration,
  parseInteger,
} from '@dist-exec/core';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['5s', 5000],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['1h30m', 5_400_000],
    ['1.5s', 1500],
    ['30', 30_000],
    [' 7d ', 604_800_000],
  ])('parses %s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '-5s', '5 s', '5x', 's', '1m-2s', 'abc'])('rejects %j naming the field', (text) => {
    expect(() => parseDuration(text, '--timeout')).toThrow(InvalidArgumentError);
    expect(() => parseDuration(text, '--timeout')).toThrow(/--timeout/);
  });

  it('formats compactly', () => {
    expect(formatDuration(850)).toBe('850ms');
    expect(formatDuration(12_500)).toBe('12.5s');
    expect(formatDuration(200_000)).toBe('3m20s');
    expect(formatDuration(7_500_000)).toBe('2h5m');
  });
});

describe('parseBytes', () => {
  it.each([
    ['256Mi', 256 * 1024 ** 2],
    ['1Gi', 1024 ** 3],
    ['512MB', 512e6],
    ['1048576', 1_048_576],
    ['1.5Ki', 1536],
  ])('parses %s', (text, bytes) => {
    expect(parseBytes(text)).toBe(bytes);
  });

  it.each(['', 'Mi', '12Q', '-1Mi'])('rejects %j', (text) => {
    expect(() => parseBytes(text, '--memory')).toThrow(/--memory/);
  });

  it('formats with binary units', () => {
    expect(formatBytes(512)).toBe('512B');
    expect(formatBytes(1536)).toBe('1.5Ki');
    expect(formatBytes(256 * 1024 ** 2)).toBe('256Mi');
  });
});

describe('parseInteger', () => {
  it('accepts whole numbers in range and rejects the rest', () => {
    expect(parseInteger('42', '--n', 0, 100)).toBe(42);
    expect(() => parseInteger('101', '--n', 0, 100)).toThrow(/--n/);
    expect(() => parseInteger('1.5', '--n', 0, 100)).toThrow(/--n/);
    expect(() => parseInteger('x', '--n', 0, 100)).toThrow(/--n/);
  });
});
