import type { IncomingMessage, ServerResponse } from 'node:http';
import { roleGrants, type Permission } from '@dist-exec/core';
import {
  ANONYMOUS_ADMIN,
  bearerToken,
  neededCredential,
  type Authentication,
  type Caller,
  type OpenStreams,
  type Refusal,
} from '@dist-exec/runtime';
import { HOST_CHECK_EXEMPT, HTTP_ACCESS } from './access.js';
import type { AllowedHosts } from './allowed-hosts.js';
import { HttpError } from './errors.js';

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

export interface HttpGuardOptions {
  /** Checks a presented token; null when authentication is off (`--auth none`: everyone is an anonymous admin). */
  authenticate: ((credential: string | null) => Authentication) | null;
  /** /metrics without a token (for a Prometheus that sends none). */
  publicMetrics: boolean;
  hosts: AllowedHosts;
  /** Every authenticated request is registered here until it ends, so revoking its token cuts it (event streams). */
  streams: OpenStreams;
  refused(refusal: Refusal): void;
}

/** The caller of open routes. */
const NOBODY: Caller = Object.freeze({ name: '', role: 'read', credentialId: '', limits: Object.freeze({}) });

/**
 * The door of the HTTP port, before any handler runs: the Host header must
 * name this server (DNS rebinding), a write must come from no other origin
 * and carry JSON (no form or text/plain post: what a cross-site page can
 * send without asking), and the request must carry a bearer token whose role
 * allows the route (HTTP_ACCESS). No cookies are ever read or set, so a
 * browser never adds a credential on its own.
 */
export class HttpGuard {
  readonly #options: HttpGuardOptions;

  constructor(options: HttpGuardOptions) {
    this.#options = options;
  }

  /** The caller of the request, or an HttpError (403, 415, 401). `route` is `GET /api/v1/jobs/:id`. */
  check(req: IncomingMessage, res: ServerResponse, route: string): Caller {
    const method = req.method ?? 'GET';
    const key = route;
    let need: Permission | undefined = HTTP_ACCESS.get(key);
    if (need === 'read' && key === 'GET /metrics' && this.#options.publicMetrics) need = 'open';
    const peer = req.socket.remoteAddress ?? 'unknown';
    const refuse = (status: number, code: Refusal['code'], message: string, caller?: string): HttpError => {
      this.#options.refused({ method: key, code, reason: message, peer, ...(caller ? { caller } : {}) });
      return new HttpError(
        status,
        code,
        message,
        status === 401 ? { 'www-authenticate': 'Bearer realm="dist-exec"' } : {},
      );
    };
    const host = req.headers.host;
    if (!HOST_CHECK_EXEMPT.has(key) && host !== undefined && !this.#options.hosts.allows(host)) {
      throw refuse(
        403,
        'PERMISSION_DENIED',
        `this server does not answer to the host name in "Host: ${host}"; start the master with --http-allowed-hosts ${host.replace(/:\d+$/, '')} to allow it`,
      );
    }
    if (method === 'POST') this.#checkWrite(req, refuse);
    if (need === 'open') return NOBODY;
    if (need === undefined) throw refuse(403, 'PERMISSION_DENIED', `${key} is not open to any caller`);
    const authenticate = this.#options.authenticate;
    if (!authenticate) return ANONYMOUS_ADMIN;
    const result = authenticate(bearerToken(req.headers.authorization));
    if (!result.ok) {
      const reason = req.headers.authorization
        ? result.reason
        : 'this request needs a token: send "Authorization: Bearer <token>" (dist-exec token create makes one)';
      throw refuse(401, 'UNAUTHENTICATED', reason);
    }
    const caller = result.caller;
    if (!roleGrants(caller.role, need)) {
      throw refuse(
        403,
        'PERMISSION_DENIED',
        `token "${caller.name}" (role ${caller.role}) may not ${key}: it needs ${neededCredential(need)}`,
        caller.name,
      );
    }
    const forget = this.#options.streams.add(caller.credentialId, () => res.destroy());
    res.once('close', forget);
    return caller;
  }

  /**
   * A write from a page of another origin is refused (browsers send Origin
   * on every cross-origin POST), and so is any body but JSON: forms and
   * text/plain are what a page can post elsewhere without a preflight.
   */
  #checkWrite(
    req: IncomingMessage,
    refuse: (status: number, code: Refusal['code'], message: string) => HttpError,
  ): void {
    const origin = req.headers.origin;
    if (origin !== undefined) {
      let originHost = '';
      try {
        originHost = origin === 'null' ? '' : new URL(origin).host.toLowerCase();
      } catch {
        originHost = '';
      }
      if (!originHost || originHost !== (req.headers.host ?? '').toLowerCase()) {
        throw refuse(
          403,
          'PERMISSION_DENIED',
          `cross-origin write from ${origin} refused; call the API from its own origin or without a browser`,
        );
      }
    }
    const type = req.headers['content-type'];
    const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
    if ((type !== undefined && !JSON_TYPE.test(type)) || (type === undefined && hasBody)) {
      throw new HttpError(
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        `send the body as JSON with "Content-Type: application/json"${type ? ` (got "${type}")` : ''}`,
      );
    }
  }
}
