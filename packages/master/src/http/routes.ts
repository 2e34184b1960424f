import { clusterToJson, type ClusterSnapshot, type NodeInfo } from '@dist-exec/core';
import type { Logger } from 'pino';
import type { MasterEvents } from '../events.js';
import type { JobCommands } from '../jobs/job-commands.js';
import { addApiRoutes } from './api-routes.js';
import { addBackupRoute, type BackupSource } from './backup-route.js';
import { addClusterRoutes } from './cluster-routes.js';
import { addCompatRoutes } from './compat-routes.js';
import { addDashboardRoutes } from './dashboard.js';
import { sendJson } from './io.js';
import { LiveFeed } from './live-feed.js';
import { addOpsRoutes, type OpsRoutesOptions } from './ops-routes.js';
import { Router } from './router.js';

/**
 * What the HTTP port may read and do, built once by the master: each route
 * module gets only its part of it (no route sees the Master).
 */
export interface MasterRoutesOptions extends OpsRoutesOptions {
  /** Submit, read, list, cancel and watch jobs: the commands the gRPC API runs too. */
  jobs: JobCommands;
  /** The nodes now, as ListNodes answers. */
  nodes(): NodeInfo[];
  /** The cluster now: jobs by state, nodes, masters. */
  snapshot(): Promise<ClusterSnapshot>;
  /** Job and node events, for the dashboard's live feed. */
  events: MasterEvents;
  /** The store, for the online backup. */
  store: BackupSource;
  /** This master's id. */
  masterId: string;
  logger: Logger;
}

/** Every route of the master's HTTP port. */
export function buildRouter(options: MasterRoutesOptions): Router {
  const { jobs, snapshot } = options;
  const router = new Router();
  const feed = new LiveFeed({
    events: options.events,
    snapshot,
    view: (job) => jobs.view(job),
    logger: options.logger,
  });

  addOpsRoutes(router, { metrics: options.metrics, readiness: options.readiness });
  addApiRoutes(router, { jobs, nodes: options.nodes });
  router.add('GET', '/api/v1/cluster', async ({ res }) => sendJson(res, 200, clusterToJson(await snapshot())));
  router.add('GET', '/api/v1/events', ({ res }) => feed.connect(res));
  addBackupRoute(router, options.store);
  addCompatRoutes(router, jobs);
  addClusterRoutes(router, { jobs, masterId: options.masterId, snapshot });
  addDashboardRoutes(router);
  return router;
}
