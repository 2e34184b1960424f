import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { describeHttpError, HttpError } from './errors.js';
import type { HttpGuard } from './guard.js';
import { sendJson } from './io.js';
import type { Router } from './router.js';

export interface HttpServerOptions {
  router: Router;
  /** Checks host, origin, body type and token before any handler runs. */
  guard: HttpGuard;
  logger: Logger;
  host: string;
  /** 0 picks a free port. */
  port: number;
}

/**
 * The master's HTTP side port on node:http: routes requests, turns whatever
 * a handler throws into a JSON error (never a stack trace), and on stop
 * closes open streams (log follows, live feeds) instead of waiting for them.
 */
export class HttpServer {
  readonly #options: HttpServerOptions;
  readonly #log: Logger;
  #server: Server | null = null;
  #port = 0;
  #stopping: Promise<void> | null = null;

  constructor(options: HttpServerOptions) {
    this.#options = options;
    this.#log = options.logger.child({ component: 'http' });
  }

  get port(): number {
    return this.#port;
  }

  async start(): Promise<number> {
    if (this.#server) return this.#port;
    const server = createServer((req, res) => void this.#handle(req, res));
    // A slow or stuck client must not hold a socket forever; streams send keep-alives.
    server.requestTimeout = 60_000;
    server.headersTimeout = 30_000;
    server.keepAliveTimeout = 5_000;
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#options.port, this.#options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (error) => this.#log.error({ err: error }, 'http server error'));
    this.#port = (server.address() as AddressInfo).port;
    return this.#port;
  }

  /** Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= new Promise<void>((resolve) => {
      const server = this.#server;
      if (!server) return resolve();
      server.close(() => resolve());
      server.closeAllConnections();
    });
    return this.#stopping;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const abort = new AbortController();
    res.once('close', () => abort.abort());
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      sendJson(res, 400, { error: { code: 'INVALID_ARGUMENT', message: 'the request URL is not valid' } });
      return;
    }
    try {
      const { handler, params, route } = this.#options.router.match(req.method ?? 'GET', url.pathname);
      const caller = this.#options.guard.check(req, res, route);
      await handler({ req, res, url, params, signal: abort.signal, caller });
    } catch (error) {
      const { status, body, headers, internal } = describeHttpError(error);
      if (internal) this.#log.error({ err: error, method: req.method, path: url.pathname }, 'request failed');
      else if (!(error instanceof HttpError) || status >= 500)
        this.#log.debug({ method: req.method, path: url.pathname, status }, 'request refused');
      if (res.headersSent) {
        // Mid-stream: the status is gone; cut the stream so the client sees it end early.
        res.destroy();
        return;
      }
      sendJson(res, status, body, headers);
      // An unread body must not be taken for the next request: a small one is
      // discarded, an oversized one ends the connection (`connection: close`).
      if (!req.complete && status !== 413) req.resume();
    }
  }
}
