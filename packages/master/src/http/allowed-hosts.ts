import { isIP } from 'node:net';

/** The host name of a `Host` header (or an Origin's host): lower case, without port or IPv6 brackets. */
export function hostName(host: string): string {
  const lower = host.trim().toLowerCase();
  if (lower.startsWith('[')) return lower.slice(1, lower.indexOf(']') > 0 ? lower.indexOf(']') : undefined);
  const colon = lower.lastIndexOf(':');
  return colon >= 0 && lower.indexOf(':') === colon ? lower.slice(0, colon) : lower;
}

/**
 * Which `Host` headers the HTTP server answers, against DNS rebinding: a
 * page on evil.example whose name later resolves to 127.0.0.1 reaches the
 * master with `Host: evil.example`, never with an address. So always
 * allowed are IP addresses, `localhost` and `*.localhost`, the machine's
 * host name (with or without its domain) and the bind address; anything
 * else only when configured (`--http-allowed-hosts`): a name, `.example.com`
 * for it and its subdomains, or `*` for any (behind a proxy that checks).
 * The same rule as Vite's `server.allowedHosts` and Jupyter's local checks.
 */
export class AllowedHosts {
  readonly #any: boolean;
  readonly #names = new Set<string>();
  readonly #suffixes: string[] = [];

  constructor(configured: readonly string[], machineHostname: string, bindHost: string) {
    this.#any = configured.includes('*');
    const machine = machineHostname.toLowerCase();
    for (const name of ['localhost', machine, machine.split('.')[0] ?? '', bindHost.toLowerCase()]) {
      if (name) this.#names.add(name);
    }
    for (const entry of configured) {
      const name = entry.trim().toLowerCase();
      if (!name || name === '*') continue;
      if (name.startsWith('.')) this.#suffixes.push(name);
      else this.#names.add(name);
    }
  }

  /** Whether a request with this Host header (or an Origin with this host) may be answered. */
  allows(host: string): boolean {
    if (this.#any) return true;
    const name = hostName(host);
    if (isIP(name) !== 0) return true;
    if (this.#names.has(name) || name.endsWith('.localhost')) return true;
    return this.#suffixes.some((suffix) => name.endsWith(suffix) || name === suffix.slice(1));
  }
}
