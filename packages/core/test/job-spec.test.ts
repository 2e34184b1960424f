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
    expect(spec).toMatchObject({
      type: 'command',
      command: 'echo hi',
      priority: 0,
      timeoutMs: 0,
      maxRetries: 0,
      http: null,
    });
  });

  it('shares frozen empties for what a job leaves empty, and copies what it keeps', () => {
    const a = compileJobSpec({ command: 'x', env: {}, stdin: new Uint8Array() });
    const b = compileJobSpec({ command: 'y' });
    for (const field of ['env', 'labels', 'constraints', 'argv', 'stdin'] as const) expect(a[field]).toBe(b[field]);
    expect(Object.isFrozen(b.env) && Object.isFrozen(b.argv)).toBe(true);
    expect(() => {
      'use strict';
      (b.env as Record<string, string>).X = '1';
    }).toThrow(TypeError);
    // stdin that is a view on a larger buffer (as the protobuf decoder hands it out) is copied, so the job does not keep the rest.
    const request = new Uint8Array([9, 9, 1, 2, 3, 9]);
    const stdin = compileJobSpec({ command: 'cat', stdin: request.subarray(2, 5) }).stdin;
    expect([...stdin]).toEqual([1, 2, 3]);
    expect(stdin.buffer.byteLength).toBe(3);
    const env = { A: '1' };
    expect(compileJobSpec({ command: 'x', env }).env).not.toBe(env);
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
    rejects(
      {
        type: 'http',
        http: { url: 'ftp://x/y', method: 'GET', headers: {}, body: new Uint8Array(), expectedStatus: [] },
      },
      'spec.http.url',
    );
    rejects(
      {
        type: 'http',
        http: { url: 'not a url', method: 'GET', headers: {}, body: new Uint8Array(), expectedStatus: [] },
      },
      'spec.http.url',
    );
  });

  it('takes a memory limit at or above the request, and a user name', () => {
    const spec = compileJobSpec({ command: 'x', memoryBytes: 256, memoryLimitBytes: 1024, user: 'build-bot' });
    expect(spec).toMatchObject({ memoryBytes: 256, memoryLimitBytes: 1024, user: 'build-bot' });
    expect(compileJobSpec({ command: 'x' })).toMatchObject({ memoryLimitBytes: 0, user: '' });
    rejects({ command: 'x', memoryBytes: 2048, memoryLimitBytes: 1024 }, 'spec.memoryLimitBytes');
    rejects({ command: 'x', memoryLimitBytes: -1 }, 'spec.memoryLimitBytes');
    rejects({ command: 'x', user: 'root;rm' }, 'spec.user');
    rejects({ command: 'x', user: '../etc' }, 'spec.user');
    expect(() => compileJobSpec({ command: 'x', memoryBytes: 2048, memoryLimitBytes: 1024 })).toThrow(
      /below the memory request.*at least the request/,
    );
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
