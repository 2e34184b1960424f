import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Caller } from '@dist-exec/runtime';
import { HttpError } from './errors.js';

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** Values of the route's `:name` segments, decoded. */
  params: Record<string, string>;
  /** Aborted when the client goes away (for streams). */
  signal: AbortSignal;
  /** Who makes the request (the guard checked its token; anonymous on open routes). */
  caller: Caller;
}

export type Handler = (ctx: RequestContext) => void | Promise<void>;

interface Route {
  method: string;
  /** As added, e.g. `/api/v1/jobs/:id`: what the access table is keyed by. */
  path: string;
  segments: string[];
  handler: Handler;
}

/** A matched route: its handler, the values of its `:name` segments, and its method and path as added. */
export interface RouteMatch {
  handler: Handler;
  params: Record<string, string>;
  /** `GET /api/v1/jobs/:id` (HEAD requests match GET routes). */
  route: string;
}

/** Matches method and path (`/api/v1/jobs/:id`); HEAD is served by GET routes. */
export class Router {
  readonly #routes: Route[] = [];

  add(method: 'GET' | 'POST', path: string, handler: Handler): this {
    this.#routes.push({ method, path, segments: split(path), handler });
    return this;
  }

  /** The handler and params for the request; throws 404 or 405 (with Allow). */
  match(method: string, pathname: string): RouteMatch {
    const segments = split(pathname);
    const allowed = new Set<string>();
    for (const route of this.#routes) {
      const params = matchSegments(route.segments, segments);
      if (!params) continue;
      if (route.method === method || (method === 'HEAD' && route.method === 'GET'))
        return { handler: route.handler, params, route: `${route.method} ${route.path}` };
      allowed.add(route.method);
    }
    if (allowed.size > 0) {
      if (allowed.has('GET')) allowed.add('HEAD');
      const allow = [...allowed].sort().join(', ');
      throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${method} is not allowed on ${pathname}; use ${allow}`, {
        allow,
      });
    }
    throw new HttpError(404, 'NOT_FOUND', `no such endpoint: ${method} ${pathname}; see docs/http-api.md`);
  }
}

function split(path: string): string[] {
  return path.split('/').filter(Boolean);
}

function matchSegments(pattern: readonly string[], actual: readonly string[]): Record<string, string> | null {
  if (pattern.length !== actual.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i += 1) {
    const want = pattern[i] as string;
    const got = actual[i] as string;
    if (want.startsWith(':')) {
      try {
        params[want.slice(1)] = decodeURIComponent(got);
      } catch {
        return null;
      }
    } else if (want !== got) return null;
  }
  return params;
}
