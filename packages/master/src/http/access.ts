import type { Permission } from '@dist-exec/core';

/**
 * Who may use each route of the master's HTTP port, as METHOD_ACCESS is for
 * gRPC: keyed by the route as added (`GET /api/v1/jobs/:id`; HEAD uses GET's
 * row). A route missing here is refused, so a new route is closed until
 * someone decides its row. `metrics` is `read` unless --public-metrics.
 *
 * Open: the health probes (load balancers and Kubernetes send no token) and
 * the dashboard's static files (the page asks for a token before it calls
 * the API).
 */
export const HTTP_ACCESS: ReadonlyMap<string, Permission> = new Map<string, Permission>([
  ['GET /healthz', 'open'],
  ['GET /readyz', 'open'],
  ['GET /health', 'open'],
  ['GET /metrics', 'read'],
  ['GET /', 'open'],
  ['GET /assets/app.js', 'open'],
  ['GET /assets/api.js', 'open'],
  ['GET /assets/format.js', 'open'],
  ['GET /assets/jobs-view.js', 'open'],
  ['GET /assets/job-page.js', 'open'],
  ['GET /assets/node-page.js', 'open'],
  ['GET /assets/charts.js', 'open'],
  ['GET /assets/style.css', 'open'],
  ['GET /assets/favicon.svg', 'open'],
  ['POST /api/v1/jobs', 'submit'],
  ['GET /api/v1/jobs', 'read'],
  ['GET /api/v1/jobs/:id', 'read'],
  ['POST /api/v1/jobs/:id/cancel', 'submit'],
  ['GET /api/v1/jobs/:id/logs', 'read'],
  ['GET /api/v1/nodes', 'read'],
  ['GET /api/v1/cluster', 'read'],
  ['GET /api/v1/events', 'read'],
  // The dashboard's (dashboard-api-routes.ts).
  ['GET /api/v1/activity', 'read'],
  ['GET /api/v1/search', 'read'],
  ['GET /api/v1/search/summary', 'read'],
  ['GET /api/v1/nodes/:id', 'read'],
  ['POST /api/v1/nodes/:id/drain', 'admin'],
  ['POST /api/v1/nodes/:id/undrain', 'admin'],
  ['POST /api/v1/jobs/:id/rerun', 'submit'],
  // The whole store (job env values, token hashes): an admin's, as a backup of the database file is.
  ['GET /api/v1/backup', 'admin'],
  // Seed 003's API.
  ['POST /jobs', 'submit'],
  ['GET /jobs/:id', 'read'],
  // Seed 004's (nomad-lite's dashboard API).
  ['GET /api/cluster', 'read'],
  ['GET /api/jobs', 'read'],
  ['POST /api/jobs', 'submit'],
]);

/** Routes that answer without checking the Host header: probes address the master by whatever name or IP they have. */
export const HOST_CHECK_EXEMPT: ReadonlySet<string> = new Set(['GET /healthz', 'GET /readyz', 'GET /health']);
