import { describe, expect, it } from 'vitest';
import { compileJobSpec, describeSpec, InvalidArgumentError, parseKeyValues } from '@dist-exec/core';

function rejects(input: Parameters<typeof compileJobSpec>[0], field: string, limits = {}): void {
  let error: unknown;
  try {
    compileJobSpec(input, limits);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(InvalidArgumentError);
  expect((error as InvalidArgumentError).field).toBe(field);
}

describe('compileJobSpec', () => {
  it('fills defaults', () => {
    const spec = compileJobSpec({ command: 'echo hi' });
    expect(spec).toMatchObject({ type: 'command', command: 'echo hi', priority: 0, timeoutMs: 0, maxRetries: 0, http: null });
  });

  it('applies the default timeout when none is given', () => {
    expect(compileJobSpec({ command: 'x' }, { defaultTimeoutMs: 5000 }).timeoutMs).toBe(5000);
    expect(compileJobSpec({ command: 'x', timeoutMs: 100 }, { defaultTimeoutMs: 5000 }).timeoutMs).toBe(100);
  });

  it('rejects bad input naming the field', () => {
    rejects({ command: '' }, 'spec.command');
    rejects({ command: '   ' }, 'spec.command');
    rejects({ command: 'x'.repeat(200_000) }, 'spec.command');
    rejects({ command: 'a', argv: ['b'] }, 'spec.command');
    rejects({ type: 'gpu-magic', command: 'x' }, 'spec.type');
    rejects({ command: 'x', timeoutMs: -1 }, 'spec.timeoutMs');
    rejects({ command: 'x', timeoutMs: 8 * 24 * 3_600_000 }, 'spec.timeoutMs');
    rejects({ command: 'x', timeoutMs: 1.5 }, 'spec.timeoutMs');
    rejects({ command: 'x', env: { 'BAD-NAME': '1' } }, 'spec.env');
    rejects({ command: 'x', labels: { '': 'v' } }, 'spec.labels');
    rejects({ command: 'x', priority: 10_000_000 }, 'spec.priority');
    rejects({ command: 'x', maxRetries: 1000 }, 'spec.maxRetries');
    rejects({ command: 'x', cpu: -1 }, 'spec.cpu');
    rejects({ type: 'http' }, 'spec.http.url');
    rejects({ type: 'http', http: { url: 'ftp://x/y', method: 'GET', headers: {}, body: new Uint8Array(), expectedStatus: [] } }, 'spec.http.url');
    rejects({ type: 'http', http: { url: 'not a url', method: 'GET', headers: {}, body: new Uint8Array(), expectedStatus: [] } }, 'spec.http.url');
  });

  it('says what to do in the message', () => {
    expect(() => compileJobSpec({ command: 'x'.repeat(200_000) })).toThrow(/at most 131072 are allowed.*stdin/);
    expect(() => compileJobSpec({ type: 'nope', command: 'x' })).toThrow(/known types: command, http/);
  });

  it('accepts argv without a shell and describes it quoted', () => {
    const spec = compileJobSpec({ argv: ['printf', '%s\\n', 'a b'] });
    expect(describeSpec(spec)).toBe("printf '%s\\n' 'a b'");
  });
});

describe('parseKeyValues', () => {
  it('parses k=v pairs, values may contain =', () => {
    expect(parseKeyValues(['a=1', 'b=x=y'], '--label')).toEqual({ a: '1', b: 'x=y' });
    expect(() => parseKeyValues(['novalue'], '--label')).toThrow(/--label/);
  });
});
