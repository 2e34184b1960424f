import {
  createServer as createHttpServer,
  request as httpRequest,
  type IncomingMessage,
  type Server as HttpServer,
  type ServerResponse,
} from 'node:http';
import type * as grpc from '@grpc/grpc-js';
import { v1 } from '@dist-exec/proto';
import { addHealthAndReflection, bindServer, createServer, shutdownServer } from '@dist-exec/runtime';
import type { Logger } from 'pino';
import { SERVICE_NAMES } from '../api.js';
import { LeaderProxy } from './leader-proxy.js';

/** How often a follower looks whether a leader is known, for its gRPC health. */
const HEALTH_CHECK_MS = 500;

export interface StandbyOptions {
  host: string;
  port: number;
  httpPort: number;
  logger: Logger;
  /** The leader's gRPC address as given to clients ('' while nobody leads). */
  leader(): string;
  /** The leader's HTTP host:port ('' while nobody leads or it is unknown). */
  leaderHttp(): string;
}

/**
 * What a master that does not lead serves on its ports. gRPC: every call is
 * forwarded to the leader (see LeaderProxy), but a worker's registration and
 * heartbeats, which are answered UNAVAILABLE naming the leader; health says
 * SERVING while a leader is known. HTTP: /healthz is ok, /readyz is ready
 * while a leader is known, and every other path answers 503 with the leader's
 * gRPC address.
 */
export class Standby {
  readonly #options: StandbyOptions;
  readonly #proxy: LeaderProxy;
  #server: grpc.Server | null = null;
  #health: NodeJS.Timeout | null = null;
  #http: HttpServer | null = null;
  #port = 0;
  #httpPort = 0;

  constructor(options: StandbyOptions) {
    this.#options = options;
    this.#proxy = new LeaderProxy(options.leader);
  }

  get port(): number {
    return this.#port;
  }

  get httpPort(): number {
    return this.#httpPort;
  }

  #refusal(): string {
    const leader = this.#options.leader();
    return leader
      ? `this master is a follower; the leader is at ${leader}`
      : 'this master is a follower and no master leads yet; try again in a moment';
  }

  async start(): Promise<{ port: number; httpPort: number }> {
    const o = this.#options;
    const server = createServer();
    const setServing = addHealthAndReflection(server, SERVICE_NAMES);
    for (const service of [v1.JobService.service, v1.NodeService.service, v1.TokenService.service]) {
      const forwarded = this.#proxy.service(service);
      server.addService(forwarded.definition, forwarded.handlers);
    }
    this.#server = server;
    // Serving (by forwarding) while a leader is known.
    const serving = (): void => setServing(this.#options.leader() ? 'SERVING' : 'NOT_SERVING');
    serving();
    this.#health = setInterval(serving, HEALTH_CHECK_MS);
    this.#health.unref();
    try {
      this.#port = await bindServer(server, `${o.host.includes(':') ? `[${o.host}]` : o.host}:${o.port}`);
      this.#httpPort = await this.#startHttp();
    } catch (error) {
      server.forceShutdown();
      this.#server = null;
      throw error;
    }
    return { port: this.#port, httpPort: this.#httpPort };
  }

  #startHttp(): Promise<number> {
    const http = createHttpServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      const leader = this.#options.leader();
      const live = path === '/healthz' || path === '/health';
      const ready = path === '/readyz' && leader !== '';
      const leaderHttp = this.#options.leaderHttp();
      if (!live && path !== '/readyz' && leaderHttp) {
        this.#forwardHttp(req, res, leaderHttp);
        return;
      }
      const body = live
        ? { status: 'ok', role: 'follower', leader }
        : path === '/readyz'
          ? { status: ready ? 'ready' : 'not ready', checks: { role: 'follower', leader: leader || 'none' } }
          : { error: this.#refusal(), leader };
      res.writeHead(live || ready ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    });
    this.#http = http;
    return new Promise((resolve, reject) => {
      http.once('error', reject);
      http.listen(this.#options.httpPort, this.#options.host, () => {
        const address = http.address();
        resolve(typeof address === 'object' && address ? address.port : 0);
      });
    });
  }

  /**
   * Passes an HTTP request to the leader's HTTP port as it came (its token
   * included: the leader checks it) and its answer back as it comes (streams
   * too: logs, events). The Host header names the leader, which checks it.
   */
  #forwardHttp(req: IncomingMessage, res: ServerResponse, leaderHttp: string): void {
    const at = leaderHttp.lastIndexOf(':');
    const upstream = httpRequest(
      {
        host: leaderHttp.slice(0, at).replace(/^\[|\]$/g, ''),
        port: Number(leaderHttp.slice(at + 1)),
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: leaderHttp },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', (error) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          error: `this master is a follower and could not reach the leader at ${leaderHttp} (${error.message})`,
        }),
      );
    });
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  }

  /** Stops both ports at once (calls are refusals: nothing to wait for). Idempotent. */
  async stop(): Promise<void> {
    const server = this.#server;
    const http = this.#http;
    if (this.#health) clearInterval(this.#health);
    this.#health = null;
    this.#proxy.close();
    this.#server = null;
    this.#http = null;
    if (server) await shutdownServer(server, 0);
    if (http) {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    }
  }
}
