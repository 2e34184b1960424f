import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { InvalidArgumentError } from '@dist-exec/core';

/**
 * Where `http` tasks may connect. A rule is an address or a CIDR block,
 * optionally with a port (`10.0.0.0/8`, `192.168.1.5:8080`, `[::1]:9000`,
 * `fd00::/8`), or (allow only) a host name (`api.example.com`, `.example.com`
 * for a domain). A target is checked on the address it resolves to, which is
 * the address the connection then goes to, and again on every redirect:
 *
 * 1. an address `--http-deny` matches: refused;
 * 2. an address `--http-allow` matches: allowed (this is how a loopback
 *    service or the master's machine is let in on purpose);
 * 3. the built-in denials (loopback, link-local 169.254.0.0/16 and fe80::/10
 *    where cloud metadata services live, unspecified addresses, and the
 *    master's machine, whose ports serve the control plane): refused;
 * 4. there are allow rules and none matches (by address or host name): refused;
 * 5. anything else: allowed.
 */
export interface HttpTargetRules {
  allow: readonly string[];
  deny: readonly string[];
}

interface AddressRule {
  text: string;
  list: BlockList;
  /** 0: any port. */
  port: number;
}

/** A target refused: one line naming the address and the rule. */
export class HttpTargetRefusedError extends Error {
  override readonly name = 'HttpTargetRefusedError';
}

const BUILT_IN_DENY: ReadonlyArray<readonly [string, string]> = [
  ['127.0.0.0/8', 'loopback'],
  ['0.0.0.0/8', 'unspecified'],
  ['169.254.0.0/16', 'link-local (cloud metadata)'],
  ['::1/128', 'loopback'],
  ['::/128', 'unspecified'],
  ['fe80::/10', 'link-local'],
];

function family(address: string): 'ipv4' | 'ipv6' {
  return isIP(address) === 6 ? 'ipv6' : 'ipv4';
}

/** `::ffff:127.0.0.1` is 127.0.0.1 to the kernel: rules must see it so. */
function canonical(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? (mapped[1] as string) : address;
}

function parseAddressRule(text: string, field: string): AddressRule | null {
  const match = /^\[([^\]]+)\](?::(\d+))?$/.exec(text) ?? /^([^:/]+(?:\/\d+)?)(?::(\d+))?$/.exec(text);
  const [address, prefix] = (match ? (match[1] as string) : text).split('/');
  const portText = match ? match[2] : undefined;
  if (!address || isIP(address) === 0) return null;
  const port = portText === undefined ? 0 : Number(portText);
  const max = isIP(address) === 6 ? 128 : 32;
  const bits = prefix === undefined ? max : Number(prefix);
  if (!Number.isInteger(bits) || bits < 0 || bits > max || !Number.isInteger(port) || port < 0 || port > 65535)
    throw new InvalidArgumentError(`${field}: "${text}" is not an address, CIDR block or host name with a port`, {
      field,
    });
  const list = new BlockList();
  list.addSubnet(address, bits, family(address));
  return { text, list, port };
}

const HOST_NAME = /^\.?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/;

function compile(rules: readonly string[], field: string, names: string[] | null): AddressRule[] {
  const out: AddressRule[] = [];
  for (const raw of rules) {
    const text = raw.trim();
    const rule = text ? parseAddressRule(text, field) : null;
    if (rule) out.push(rule);
    else if (names && HOST_NAME.test(text)) names.push(text.toLowerCase());
    else
      throw new InvalidArgumentError(
        `${field}: "${raw}" is not an address or CIDR block${names ? ' or host name' : ''} (e.g. 10.0.0.0/8, 192.168.1.5:8080${names ? ', api.example.com' : ''})`,
        { field },
      );
  }
  return out;
}

const matches = (rule: AddressRule, address: string, port: number): boolean =>
  (rule.port === 0 || rule.port === port) && rule.list.check(address, family(address));

export class HttpTargetPolicy {
  readonly #allow: AddressRule[];
  readonly #allowNames: string[] = [];
  readonly #deny: AddressRule[];
  readonly #builtIn: Array<{ rule: AddressRule; what: string }>;
  readonly #masterHost: string;
  #masterAddresses: Promise<string[]> | null = null;

  /** `masterHost`: the master's host (name or address), denied unless allowed. Rules that do not parse throw naming their flag. */
  constructor(rules: HttpTargetRules, masterHost = '') {
    this.#allow = compile(rules.allow, '--http-allow', this.#allowNames);
    this.#deny = compile(rules.deny, '--http-deny', null);
    this.#builtIn = BUILT_IN_DENY.map(([text, what]) => ({
      rule: parseAddressRule(text, 'built-in') as AddressRule,
      what,
    }));
    this.#masterHost = masterHost;
  }

  /** Throws HttpTargetRefusedError unless `host` (as written in the URL) at `address`:`port` may be reached. */
  async check(host: string, address: string, port: number): Promise<void> {
    const ip = canonical(address);
    const where = host === ip ? `${ip}:${port}` : `${host} (${ip}):${port}`;
    const denied = this.#deny.find((rule) => matches(rule, ip, port));
    if (denied)
      throw new HttpTargetRefusedError(`http target ${where} refused by this worker's --http-deny ${denied.text}`);
    if (this.#allow.some((rule) => matches(rule, ip, port))) return;
    const builtIn = this.#builtIn.find(({ rule }) => matches(rule, ip, port));
    if (builtIn)
      throw new HttpTargetRefusedError(
        `http target ${where} refused: ${builtIn.what} addresses are denied by default (--http-allow ${ip}:${port} lets it in)`,
      );
    if ((await this.#master()).includes(ip))
      throw new HttpTargetRefusedError(
        `http target ${where} refused: it is the master's machine, denied by default (--http-allow ${ip}:${port} lets it in)`,
      );
    const name = host.toLowerCase().replace(/\.$/, '');
    const named = this.#allowNames.some((n) => (n.startsWith('.') ? name.endsWith(n) : name === n));
    if ((this.#allow.length || this.#allowNames.length) && !named)
      throw new HttpTargetRefusedError(`http target ${where} is not in this worker's --http-allow list`);
  }

  /** The master's addresses, resolved once (none when its name does not resolve: it is then unreachable anyway). */
  #master(): Promise<string[]> {
    const host = this.#masterHost;
    this.#masterAddresses ??= !host
      ? Promise.resolve([])
      : isIP(host)
        ? Promise.resolve([canonical(host)])
        : lookup(host, { all: true }).then(
            (found) => found.map((a) => canonical(a.address)),
            () => {
              this.#masterAddresses = null;
              return [];
            },
          );
    return this.#masterAddresses;
  }
}
