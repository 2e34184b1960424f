import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request } from 'node:http';

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The body parsed as JSON; undefined when it is not JSON. */
  json: unknown;
}

export interface HttpRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
}

/** One HTTP request to a local test server, whatever its status. */
export function httpRequest(url: string, options: HttpRequestOptions = {}): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const headers = { ...(options.token ? { authorization: `Bearer ${options.token}` } : {}), ...options.headers };
    const req = request(url, { method: options.method ?? 'GET', headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (part: Buffer) => parts.push(part));
      res.on('end', () => {
        const text = Buffer.concat(parts).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** POSTs a JSON body, with a bearer token when given. */
export function postJson(url: string, body: unknown, token?: string): Promise<HttpResponse> {
  return httpRequest(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    ...(token ? { token } : {}),
  });
}

/**
 * The value of one sample in a Prometheus text exposition, or undefined when
 * absent. `labels` must list the sample's labels exactly (any order).
 */
export function metricValue(exposition: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const want = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .sort()
    .join(',');
  for (const line of exposition.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!match || match[1] !== name) continue;
    const got = (match[2] ?? '')
      .split(/,(?=[a-zA-Z_]+=")/)
      .filter(Boolean)
      .sort()
      .join(',');
    if (got === want) return Number(match[3]);
  }
  return undefined;
}

/** Where `promtool` is, or null. Debian's `prometheus` package ships it. */
export function promtoolPath(): string | null {
  for (const path of ['/usr/bin/promtool', '/usr/local/bin/promtool']) if (existsSync(path)) return path;
  return null;
}

/** Runs `promtool check metrics` on an exposition: exit code and what it printed (empty when clean). */
export function promtoolCheck(exposition: string): Promise<{ code: number | null; output: string }> {
  const path = promtoolPath();
  if (!path) return Promise.reject(new Error('promtool is not installed (apt-get install -y prometheus)'));
  return new Promise((resolve, reject) => {
    const child = spawn(path, ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => out.push(d));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output: Buffer.concat(out).toString() }));
    child.stdin.end(exposition);
  });
}

/**
 * True when tests that need an external tool (promtool, chromium) must run
 * rather than skip: CI sets DIST_EXEC_REQUIRE_TOOLS=1 after installing them.
 */
export function toolsRequired(): boolean {
  return process.env.DIST_EXEC_REQUIRE_TOOLS === '1';
}
