import { describe, expect, it } from 'vitest';
import { CommandPolicy, compileJobSpec, InvalidArgumentError, parseRateLimit } from '@dist-exec/core';

const spec = (command: string) => compileJobSpec({ command });

describe('CommandPolicy', () => {
  it('allow rules must match the whole command; deny rules match anywhere', () => {
    const policy = new CommandPolicy({ allow: ['make .*', 'npm test'], deny: ['--force'] }, "the master's");
    expect(policy.check(spec('make -C /src test'))).toEqual({ ok: true });
    expect(policy.check(spec('npm test'))).toEqual({ ok: true });
    // Not anchored, `make` would let these through.
    const around = policy.check(spec('rm -rf ~; make x'));
    expect(around).toMatchObject({ ok: false });
    expect(!around.ok && around.reason).toBe(
      'refused: the command matches none of the master\'s --allow-command rules ("make .*", "npm test"; a rule must match the whole command)',
    );
    expect(policy.check(spec('make x\nrm -rf ~'))).toMatchObject({ ok: false });
    const denied = policy.check(spec('make push --force'));
    expect(!denied.ok && denied.reason).toBe('refused by the master\'s --deny-command "--force"');
  });

  it('looks at argv joined by spaces, and lets task types without a command through', () => {
    const policy = new CommandPolicy({ allow: [], deny: ['rm -rf', 'example'] }, "this worker's");
    expect(policy.check(compileJobSpec({ argv: ['sh', '-c', 'rm -rf /tmp/x'] }))).toMatchObject({ ok: false });
    expect(
      policy.check(
        compileJobSpec({
          type: 'http',
          http: {
            url: 'http://example.com/?q=rm%20-rf',
            method: 'GET',
            headers: {},
            body: new Uint8Array(),
            expectedStatus: [],
          },
        }),
      ),
    ).toEqual({
      ok: true,
    });
  });

  it('a rule that is not a regular expression is refused naming its flag', () => {
    expect(() => new CommandPolicy({ allow: ['make ('], deny: [] }, 'x')).toThrow(InvalidArgumentError);
    expect(() => new CommandPolicy({ allow: [], deny: ['[a-'] }, 'x')).toThrow(
      /^--deny-command: "\[a-" is not a regular expression/,
    );
  });
});

describe('parseRateLimit', () => {
  it('reads N/s, N/m, N/h and off, with a burst', () => {
    expect(parseRateLimit('200/s', undefined)).toEqual({ count: 200, periodMs: 1000, burst: 200 });
    expect(parseRateLimit('30/m', '5')).toEqual({ count: 30, periodMs: 60_000, burst: 5 });
    expect(parseRateLimit('off', undefined).count).toBe(0);
    expect(() => parseRateLimit('200', undefined)).toThrow(/^--rate-limit: "200" is not a rate; write calls per/);
    expect(() => parseRateLimit('5/s', 'many')).toThrow(/^--rate-burst: "many"/);
  });
});
