import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileJobSpec, InvalidArgumentError } from '@dist-exec/core';
import { HttpExecutor, HttpTargetPolicy } from '@dist-exec/worker';

/**
 * http task targets against real HTTP servers on loopback: loopback is
 * denied by default, so each test lets in exactly the ports it means to
 * reach (--http-allow 127.0.0.1:PORT) and shows the rest refused.
 */
let allowed: Server;
let other: Server;
let hits = 0;
const portOf = (server: Server): number => (server.address() as AddressInfo).port;

function listen(handler: Parameters<typeof createServer>[1]): Promise<Server> {
  const server = createServer(handler);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

beforeAll(async () => {
  other = await listen((_req, res) => {
    hits += 1;
    res.end('secret');
  });
  allowed = await listen((req, res) => {
    const target = new URL(req.url ?? '/', 'http://x').searchParams.get('to');
    if (target) {
      res.writeHead(302, { location: target });
      res.end();
      return;
    }
    res.end(`hello ${req.method}`);
  });
});
afterAll(() => {
  allowed?.close();
  other?.close();
});

async function fetchWith(policy: HttpTargetPolicy, url: string) {
  const spec = compileJobSpec({
    type: 'http',
    http: { url, method: 'GET', headers: {}, body: new Uint8Array(), expectedStatus: [] },
  });
  const out: Buffer[] = [];
  const outcome = await new HttpExecutor({ targets: policy }).run({
    spec,
    signal: new AbortController().signal,
    killGraceMs: 0,
    onStarted: () => undefined,
    onOutput: (_stream, data) => out.push(Buffer.from(data)),
  });
  return { ...outcome, body: Buffer.concat(out).toString() };
}

describe('HttpTargetPolicy', () => {
  it('denies loopback, link-local and the master by default; --http-allow lets one in, --http-deny wins', async () => {
    const none = new HttpTargetPolicy({ allow: [], deny: [] }, '10.1.2.3');
    await expect(none.check('127.0.0.1', '127.0.0.1', 80)).rejects.toThrow(
      'http target 127.0.0.1:80 refused: loopback addresses are denied by default (--http-allow 127.0.0.1:80 lets it in)',
    );
    await expect(none.check('169.254.169.254', '169.254.169.254', 80)).rejects.toThrow(/link-local/);
    await expect(none.check('x', 'fe80::1', 80)).rejects.toThrow(/link-local/);
    await expect(none.check('x', '::ffff:127.0.0.1', 80)).rejects.toThrow(/loopback/);
    await expect(none.check('master.lan', '10.1.2.3', 8080)).rejects.toThrow(
      "http target master.lan (10.1.2.3):8080 refused: it is the master's machine",
    );
    await expect(none.check('example.com', '93.184.215.14', 443)).resolves.toBeUndefined();

    const some = new HttpTargetPolicy({ allow: ['127.0.0.1:9000', '.example.com'], deny: ['10.0.0.0/8'] });
    await expect(some.check('127.0.0.1', '127.0.0.1', 9000)).resolves.toBeUndefined();
    await expect(some.check('127.0.0.1', '127.0.0.1', 9001)).rejects.toThrow(
      /loopback addresses are denied by default/,
    );
    await expect(some.check('intranet', '192.168.1.9', 80)).rejects.toThrow(
      "http target intranet (192.168.1.9):80 is not in this worker's --http-allow list",
    );
    await expect(some.check('api.example.com', '93.184.215.14', 443)).resolves.toBeUndefined();
    // A name on the allow list that resolves to a denied address is still refused (DNS rebinding).
    await expect(some.check('evil.example.com', '127.0.0.1', 80)).rejects.toThrow(/loopback/);
    await expect(some.check('api.example.com', '10.0.0.7', 443)).rejects.toThrow(
      "http target api.example.com (10.0.0.7):443 refused by this worker's --http-deny 10.0.0.0/8",
    );
  });

  it('refuses a rule that is no address, block or name, naming the flag', () => {
    expect(() => new HttpTargetPolicy({ allow: ['10.0.0.0/33'], deny: [] })).toThrow(InvalidArgumentError);
    expect(() => new HttpTargetPolicy({ allow: [], deny: ['intranet.example.com'] })).toThrow(
      /^--http-deny: "intranet.example.com" is not an address or CIDR block \(e\.g\./,
    );
  });
});

describe('HttpExecutor with target rules', () => {
  it('fetches an allowed target; refuses loopback by address and by name, before connecting', async () => {
    const policy = new HttpTargetPolicy({ allow: [`127.0.0.1:${portOf(allowed)}`], deny: [] });
    const ok = await fetchWith(policy, `http://127.0.0.1:${portOf(allowed)}/`);
    expect(ok).toMatchObject({ succeeded: true, exitCode: 200, body: 'hello GET' });

    const before = hits;
    const direct = await fetchWith(policy, `http://127.0.0.1:${portOf(other)}/`);
    expect(direct).toMatchObject({ succeeded: false, reason: 'EXECUTOR_ERROR', exitCode: null });
    expect(direct.error).toBe(
      `http target 127.0.0.1:${portOf(other)} refused: loopback addresses are denied by default (--http-allow 127.0.0.1:${portOf(other)} lets it in)`,
    );
    // By name: checked on the address it resolves to, and the connection goes to that address.
    const byName = await fetchWith(policy, `http://localhost:${portOf(other)}/`);
    expect(byName.error).toMatch(new RegExp(`^http target localhost \\(.+\\):${portOf(other)} refused: loopback`));
    expect(hits).toBe(before);

    const metadata = await fetchWith(new HttpTargetPolicy({ allow: [], deny: [] }), 'http://169.254.169.254/latest/');
    expect(metadata.error).toMatch(/^http target 169\.254\.169\.254:80 refused: link-local/);
  });

  it('checks every redirect', async () => {
    const policy = new HttpTargetPolicy({ allow: [`127.0.0.1:${portOf(allowed)}`], deny: [] });
    const base = `http://127.0.0.1:${portOf(allowed)}/`;
    const followed = await fetchWith(policy, `${base}?to=${encodeURIComponent(`${base}done`)}`);
    expect(followed).toMatchObject({ succeeded: true, body: 'hello GET' });

    const before = hits;
    const sneaky = await fetchWith(policy, `${base}?to=${encodeURIComponent(`http://127.0.0.1:${portOf(other)}/`)}`);
    expect(sneaky.error).toMatch(`http target 127.0.0.1:${portOf(other)} refused: loopback addresses are denied`);
    const metadata = await fetchWith(policy, `${base}?to=${encodeURIComponent('http://169.254.169.254/')}`);
    expect(metadata.error).toMatch(/^http target 169\.254\.169\.254:80 refused: link-local/);
    expect(hits).toBe(before);
  });
});
