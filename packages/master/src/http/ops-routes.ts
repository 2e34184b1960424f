import { sendJson, sendText } from './io.js';
import type { Router } from './router.js';

/** What /readyz reports: ready when every check passes. */
export interface Readiness {
  ready: boolean;
  /** Each check's state, e.g. `{ store: 'open', scheduler: 'running' }`. */
  checks: Record<string, string>;
}

export interface OpsRoutesOptions {
  /** Prometheus text exposition and its content type. */
  metrics: { render(): Promise<string>; readonly contentType: string };
  readiness(): Readiness;
}

/**
 * Liveness, readiness and metrics, as Kubernetes probes and Prometheus expect
 * them, and `/health` as the platform of seed 003 answered it.
 */
export function addOpsRoutes(router: Router, options: OpsRoutesOptions): void {
  router.add('GET', '/healthz', ({ res }) => sendJson(res, 200, { status: 'ok' }));
  router.add('GET', '/health', ({ res }) => sendJson(res, 200, { status: 'healthy' }));
  router.add('GET', '/readyz', ({ res }) => {
    const readiness = options.readiness();
    sendJson(res, readiness.ready ? 200 : 503, {
      status: readiness.ready ? 'ready' : 'not ready',
      checks: readiness.checks,
    });
  });
  router.add('GET', '/metrics', async ({ res }) => {
    sendText(res, 200, await options.metrics.render(), options.metrics.contentType);
  });
}
