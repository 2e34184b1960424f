import { lookup as dnsLookup } from 'node:dns';
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { errorMessage, type HttpRequestSpec } from '@dist-exec/core';
import type { ExecutionContext, ExecutionOutcome, Executor } from './executor.js';
import { HttpTargetPolicy, HttpTargetRefusedError } from './http-targets.js';

/** Redirects followed at most, as browsers and fetch do. */
const MAX_REDIRECTS = 20;

export interface HttpExecutorOptions {
  /** Where requests may go (the worker's --http-allow / --http-deny). @default the built-in denials only */
  targets?: HttpTargetPolicy;
}

/**
 * Makes one HTTP request. The response body is the task's stdout; status and
 * headers are the result, and the status is its exit code too. Success when
 * the status is in the expected set (any 2xx when none is given).
 *
 * Every hop goes through the target policy on the address it connects to:
 * the host name is resolved here, each address checked, and the socket
 * opened to the address that passed (so a name that resolves differently a
 * moment later cannot slip through); redirects are followed here, each
 * checked the same way.
 */
export class HttpExecutor implements Executor {
  readonly type = 'http';
  readonly #targets: HttpTargetPolicy;

  constructor(options: HttpExecutorOptions = {}) {
    this.#targets = options.targets ?? new HttpTargetPolicy({ allow: [], deny: [] });
  }

  async run(context: ExecutionContext): Promise<ExecutionOutcome> {
    const http = context.spec.http;
    if (!http) return { succeeded: false, reason: 'EXECUTOR_ERROR', exitCode: null, error: 'an http task needs a url' };
    context.onStarted(0);
    let url = http.url;
    try {
      let method = http.method;
      let body = http.body.length && method !== 'GET' && method !== 'HEAD' ? http.body : null;
      for (let hop = 0; ; hop += 1) {
        const response = await this.#request(new URL(url), method, http, body, context.signal);
        const location = response.headers.location;
        if (location && [301, 302, 303, 307, 308].includes(response.statusCode ?? 0)) {
          response.resume();
          if (hop >= MAX_REDIRECTS) throw new Error(`more than ${MAX_REDIRECTS} redirects`);
          url = new URL(location, url).toString();
          // 303, and 301/302 after a POST, become a GET without a body (as fetch does).
          if (response.statusCode === 303 || ((response.statusCode ?? 0) <= 302 && method === 'POST')) {
            if (method !== 'HEAD') method = 'GET';
            body = null;
          }
          continue;
        }
        for await (const chunk of response) context.onOutput('stdout', chunk as Uint8Array);
        const status = response.statusCode ?? 0;
        const expected = http.expectedStatus;
        const succeeded = expected.length ? expected.includes(status) : status >= 200 && status < 300;
        return {
          succeeded,
          reason: succeeded ? null : 'EXIT_CODE',
          exitCode: status,
          error: succeeded ? '' : `unexpected status ${status}`,
          httpResult: { statusCode: status, headers: flatHeaders(response) },
        };
      }
    } catch (error) {
      // The runner reports timeout and cancel itself, from the signal.
      if (error instanceof HttpTargetRefusedError)
        return { succeeded: false, reason: 'EXECUTOR_ERROR', exitCode: null, error: error.message };
      return {
        succeeded: false,
        reason: 'EXECUTOR_ERROR',
        exitCode: null,
        error: `${http.method} ${url} failed: ${errorMessage(error)}`,
      };
    }
  }

  /** One hop: checked, connected to the checked address, answered with its head. */
  async #request(
    url: URL,
    method: string,
    http: HttpRequestSpec,
    body: Uint8Array | null,
    signal: AbortSignal,
  ): Promise<IncomingMessage> {
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new Error(`only http and https URLs can be fetched, not ${url.protocol}`);
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
    // An address in the URL is connected to as it is (no lookup): check it here.
    if (isIP(host)) await this.#targets.check(host, host, port);
    const options: RequestOptions = {
      method,
      headers: http.headers,
      signal,
      lookup: this.#lookup(port),
    };
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<IncomingMessage>((resolve, reject) => {
      const req = send(url, options, resolve);
      req.once('error', reject);
      req.end(body ?? undefined);
    });
  }

  /** A DNS lookup that answers only with addresses the policy allows (the first refusal when none is). */
  #lookup(port: number): LookupFunction {
    return (hostname, options, callback) => {
      dnsLookup(hostname, { all: true, family: options.family ?? 0 }, (error, addresses) => {
        if (error) return callback(error, '', 0);
        void (async () => {
          let refusal: unknown = null;
          const allowed: typeof addresses = [];
          for (const a of addresses) {
            try {
              await this.#targets.check(hostname, a.address, port);
              allowed.push(a);
            } catch (why) {
              refusal ??= why;
            }
          }
          const first = allowed[0];
          if (!first) return callback((refusal ?? new Error(`${hostname} has no address`)) as Error, '', 0);
          if (options.all) return (callback as (e: null, all: typeof allowed) => void)(null, allowed);
          callback(null, first.address, first.family);
        })();
      });
    };
  }
}

function flatHeaders(response: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}
