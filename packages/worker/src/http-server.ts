import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';

export interface WorkerHttpOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  logger: Logger;
  metrics: { render(): Promise<string>; readonly contentType: string };
  /** Ready to take work: registered with the master, not draining, not fenced. */
  readiness(): { ready: boolean; checks: Record<string, string> };
}

/** The worker's HTTP port: /healthz, /readyz and /metrics; JSON errors for anything else. */
export class WorkerHttpServer {
  readonly #options: WorkerHttpOptions;
  readonly #log: Logger;
  #server: Server | null = null;
  #port = 0;

  constructor(options: WorkerHttpOptions) {
    this.#options = options;
    this.#log = options.logger.child({ component: 'http' });
  }

  get port(): number {
    return this.#port;
  }

  async start(): Promise<number> {
    const server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      req.resume();
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        send(
          res,
          405,
          { error: { code: 'METHOD_NOT_ALLOWED', message: `${req.method} is not allowed; use GET` } },
          { allow: 'GET, HEAD' },
        );
        return;
      }
      if (path === '/healthz') send(res, 200, { status: 'ok' });
      else if (path === '/readyz') {
        const readiness = this.#options.readiness();
        send(res, readiness.ready ? 200 : 503, {
          status: readiness.ready ? 'ready' : 'not ready',
          checks: readiness.checks,
        });
      } else if (path === '/metrics') {
        this.#options.metrics.render().then(
          (text) => {
            res.writeHead(200, { 'content-type': this.#options.metrics.contentType, 'cache-control': 'no-store' });
            res.end(text);
          },
          (error: unknown) => {
            this.#log.error({ err: error }, 'metrics failed');
            send(res, 500, {
              error: { code: 'INTERNAL', message: 'could not collect metrics; the worker log has the details' },
            });
          },
        );
      } else
        send(res, 404, {
          error: {
            code: 'NOT_FOUND',
            message: `no such endpoint: ${path}; a worker serves /healthz, /readyz and /metrics`,
          },
        });
    });
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#options.port, this.#options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.#port = (server.address() as AddressInfo).port;
    return this.#port;
  }

  stop(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    if (!server) return Promise.resolve();
    return new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(text);
}
