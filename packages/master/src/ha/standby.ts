import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { LEADER_ADDRESS_METADATA, v1 } from '@dist-exec/proto';
import { addHealthAndReflection, bindServer, createServer, shutdownServer } from '@dist-exec/runtime';
import type { Logger } from 'pino';
import { SERVICE_NAMES } from '../api.js';

export interface StandbyOptions {
  host: string;
  port: number;
  httpPort: number;
  logger: Logger;
  /** The leader's gRPC address as given to clients ('' while nobody leads). */
  leader(): string;
}

/**
 * What a master that does not lead serves: every call of the API is answered
 * UNAVAILABLE with the leader's address (in the message and in the
 * `dist-exec-leader` trailer, which the SDK and the workers follow); gRPC
 * health says NOT_SERVING; on the HTTP port /healthz is ok and /readyz (and
 * every other path) answers 503 with the leader's address. The refusal comes
 * before any token check: it tells nothing but where the leader is.
 */
export class Standby {
  readonly #options: StandbyOptions;
  #server: grpc.Server | null = null;
  #http: HttpServer | null = null;
  #port = 0;
  #httpPort = 0;

  constructor(options: StandbyOptions) {
    this.#options = options;
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

  #error(): Partial<grpc.StatusObject> {
    const metadata = new grpc.Metadata();
    const leader = this.#options.leader();
    if (leader) metadata.set(LEADER_ADDRESS_METADATA, leader);
    return { code: grpc.status.UNAVAILABLE, details: this.#refusal(), metadata };
  }

  #handlers(service: grpc.ServiceDefinition): grpc.UntypedServiceImplementation {
    const handlers: grpc.UntypedServiceImplementation = {};
    for (const [name, method] of Object.entries(service)) {
      handlers[name] = method.responseStream
        ? (call: grpc.ServerWritableStream<unknown, unknown>) => call.emit('error', this.#error())
        : (_call: unknown, callback: grpc.sendUnaryData<unknown>) => callback(this.#error(), null);
    }
    return handlers;
  }

  async start(): Promise<{ port: number; httpPort: number }> {
    const o = this.#options;
    const server = createServer();
    addHealthAndReflection(server, SERVICE_NAMES);
    for (const service of [v1.JobService.service, v1.NodeService.service, v1.TokenService.service])
      server.addService(service, this.#handlers(service));
    this.#server = server;
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
      const ok = path === '/healthz' || path === '/health';
      const body = ok
        ? { status: 'ok', role: 'follower', leader }
        : path === '/readyz'
          ? { status: 'not ready', checks: { role: 'follower', leader: leader || 'none' } }
          : { error: this.#refusal(), leader };
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
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

  /** Stops both ports at once (calls are refusals: nothing to wait for). Idempotent. */
  async stop(): Promise<void> {
    const server = this.#server;
    const http = this.#http;
    this.#server = null;
    this.#http = null;
    if (server) await shutdownServer(server, 0);
    if (http) {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    }
  }
}
