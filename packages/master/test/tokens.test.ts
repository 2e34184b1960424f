import { describe, expect, it } from 'vitest';
import { MemoryStore, NodeClaims, TokenRegistry } from '@dist-exec/master';
import { OpenStreams } from '@dist-exec/runtime';
import { FakeClock, testLogger } from '@dist-exec/testing';

function registry(clock = new FakeClock(1_000_000), store = new MemoryStore(), streams = new OpenStreams()) {
  const revoked: string[] = [];
  const tokens = new TokenRegistry({
    store,
    clock,
    logger: testLogger(),
    streams,
    onRevoked: (name) => revoked.push(name),
    tickMs: 1000,
    lastUsedWriteMs: 60_000,
  });
  return { tokens, clock, store, streams, revoked };
}

const refused = (result: ReturnType<TokenRegistry['authenticate']>): string => (result.ok ? '' : result.reason);

describe('tokens', () => {
  it('are kept as SHA-256 only, checked by their secret, and carry their name and role', async () => {
    const { tokens, store } = registry();
    const { token, secret } = await tokens.create({ name: 'ci', role: 'submit', ttlMs: 0 }, 'admin');
    expect(secret).toMatch(/^dxt_[A-Za-z0-9_-]{43}$/);
    expect(token).toMatchObject({ name: 'ci', role: 'submit', createdBy: 'admin', source: 'store' });
    const stored = (await store.loadAuth()).tokens;
    expect(stored).toHaveLength(1);
    expect(JSON.stringify(stored)).not.toContain(secret.slice(4));
    const result = tokens.authenticate(secret);
    expect(result.ok && result.caller).toMatchObject({ name: 'ci', role: 'submit' });
  });

  it('refuse a missing, malformed, unknown, revoked or expired token with a line that says what to do', async () => {
    const { tokens, clock } = registry();
    const { secret } = await tokens.create({ name: 'short', role: 'read', ttlMs: 30_000 }, 'admin');
    expect(refused(tokens.authenticate(null))).toMatch(/needs a token: pass --token/);
    expect(refused(tokens.authenticate('hunter2'))).toMatch(/malformed/);
    expect(refused(tokens.authenticate(`dxt_${'A'.repeat(43)}`))).toMatch(/^unknown token; ask an admin/);
    clock.advance(30_000);
    expect(refused(tokens.authenticate(secret))).toMatch(/token "short" expired at/);
    const { secret: other } = await tokens.create({ name: 'gone', role: 'read', ttlMs: 0 }, 'admin');
    await tokens.revoke('gone');
    expect(refused(tokens.authenticate(other))).toMatch(/token "gone" was revoked/);
  });

  it('refuse a taken name, a bad role or ttl; revoked names may be taken again', async () => {
    const { tokens } = registry();
    await tokens.create({ name: 'ci', role: 'submit', ttlMs: 0 }, 'admin');
    await expect(tokens.create({ name: 'ci', role: 'read', ttlMs: 0 }, 'admin')).rejects.toMatchObject({
      code: 'ALREADY_EXISTS',
    });
    await expect(tokens.create({ name: 'x y', role: 'read', ttlMs: 0 }, 'admin')).rejects.toThrow(/not a token name/);
    await expect(tokens.create({ name: 'ok', role: 'root', ttlMs: 0 }, 'admin')).rejects.toThrow(/not a role/);
    await expect(tokens.create({ name: 'ok', role: 'read', ttlMs: -1 }, 'admin')).rejects.toThrow(/ttl/);
    await tokens.revoke('ci');
    const again = await tokens.create({ name: 'ci', role: 'read', ttlMs: 0 }, 'admin');
    expect(again.token.role).toBe('read');
    expect(tokens.list().map((t) => t.name)).toEqual(['ci']);
    expect(tokens.list(true).map((t) => [t.name, t.revokedAtMs !== null])).toEqual([
      ['ci', true],
      ['ci', false],
    ]);
  });

  it('revoking ends the open streams of the token at once, and only those', async () => {
    const { tokens, streams, revoked } = registry();
    const { secret: a } = await tokens.create({ name: 'a', role: 'read', ttlMs: 0 }, 'admin');
    const { secret: b } = await tokens.create({ name: 'b', role: 'read', ttlMs: 0 }, 'admin');
    const ended: string[] = [];
    const callerA = tokens.authenticate(a);
    const callerB = tokens.authenticate(b);
    if (!callerA.ok || !callerB.ok) throw new Error('not authenticated');
    streams.add(callerA.caller.credentialId, (reason) => ended.push(`a: ${reason}`));
    streams.add(callerB.caller.credentialId, (reason) => ended.push(`b: ${reason}`));
    await tokens.revoke('a');
    expect(ended).toEqual(['a: token "a" was revoked']);
    expect(revoked).toEqual(['a']);
  });

  it('end the streams of a token that expires while they are open', async () => {
    const { tokens, streams, clock } = registry();
    const { secret } = await tokens.create({ name: 'brief', role: 'read', ttlMs: 5000 }, 'admin');
    const result = tokens.authenticate(secret);
    if (!result.ok) throw new Error('not authenticated');
    const ended: string[] = [];
    streams.add(result.caller.credentialId, (reason) => ended.push(reason));
    tokens.start();
    clock.advance(4000);
    expect(ended).toEqual([]);
    clock.advance(2000);
    expect(ended).toEqual(['token "brief" expired']);
    tokens.stop();
  });

  it('note last use in memory and write it about once a minute, not on every call', async () => {
    const store = new MemoryStore();
    let writes = 0;
    const counting = Object.assign(Object.create(store) as MemoryStore, {
      putToken: (token: Parameters<MemoryStore['putToken']>[0]) => {
        writes += 1;
        store.putToken(token);
      },
      flush: () => store.flush(),
    });
    const { tokens, clock } = registry(new FakeClock(1_000_000), counting);
    const { secret } = await tokens.create({ name: 'busy', role: 'read', ttlMs: 0 }, 'admin');
    tokens.start();
    const created = writes;
    for (let i = 0; i < 1000; i += 1) tokens.authenticate(secret);
    expect(writes).toBe(created);
    expect(tokens.list()[0]?.lastUsedAtMs).toBe(1_000_000);
    clock.advance(60_000);
    expect(writes).toBe(created + 1);
    expect((await store.loadAuth()).tokens[0]?.lastUsedAtMs).toBe(1_000_000);
    tokens.stop();
  });

  it('from a file are accepted, listed with their file, and not revocable through the API', async () => {
    const { tokens } = registry();
    const secret = `dxt_${'f'.repeat(43)}`;
    tokens.addFileToken('admin', 'admin', secret, '/data/admin.token');
    expect(tokens.authenticate(secret).ok).toBe(true);
    expect(tokens.list()).toEqual([expect.objectContaining({ name: 'admin', source: '/data/admin.token' })]);
    await expect(tokens.revoke('admin')).rejects.toThrow(/comes from \/data\/admin\.token/);
    await expect(tokens.revoke('nobody')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('node claims', () => {
  function claims(held: (id: string) => boolean) {
    const store = new MemoryStore();
    return {
      store,
      claims: new NodeClaims({ store, clock: new FakeClock(0), logger: testLogger(), held, nodeLostTimeoutMs: 60_000 }),
    };
  }

  it('give a first registration a secret, which later registrations of the id must present', async () => {
    const { claims: c, store } = claims(() => true);
    const secret = c.admit('w1', '', 'workers');
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(c.verify('w1', secret)).toBe(true);
    expect(c.verify('w1', 'guess')).toBe(false);
    expect(c.admit('w1', secret, 'workers')).toBe('');
    expect(() => c.admit('w1', '', 'workers')).toThrow(/belongs to another worker \(no node secret was presented\)/);
    expect(() => c.admit('w1', 'g'.repeat(43), 'workers')).toThrow(/its node secret does not match/);
    const stored = (await store.loadAuth()).nodeClaims;
    expect(stored).toEqual([expect.objectContaining({ nodeId: 'w1', tokenName: 'workers' })]);
    expect(JSON.stringify(stored)).not.toContain(secret);
  });

  it("take the worker's own secret, so a registration sent again after a lost answer is admitted", () => {
    const { claims: c } = claims(() => true);
    const mine = 'm'.repeat(43);
    expect(c.admit('w2', mine, 'workers')).toBe('');
    // The answer was lost; the worker sends the same registration again.
    expect(c.admit('w2', mine, 'workers')).toBe('');
    expect(c.verify('w2', mine)).toBe(true);
    expect(() => c.admit('w2', 'o'.repeat(43), 'workers')).toThrow(/belongs to another worker/);
    expect(() => c.admit('w3', 'short', 'workers')).toThrow(/at least 32/);
  });

  it('free an id whose node is LOST, or that left: the next worker claims it anew', () => {
    let held = true;
    const { claims: c } = claims(() => held);
    const first = c.admit('w1', '', 'workers');
    held = false;
    const second = c.admit('w1', '', 'workers');
    expect(second).not.toBe(first);
    expect(c.verify('w1', first)).toBe(false);
    expect(c.verify('w1', second)).toBe(true);
    c.release('w1');
    expect(c.verify('w1', second)).toBe(false);
  });
});
