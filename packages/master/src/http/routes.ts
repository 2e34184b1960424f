import { clusterToJson, type ClusterSnapshot } from '@dist-exec/core';
import type { Logger } from 'pino';
import type { ActivitySeries } from '../activity-series.js';
import type { MasterEvents } from '../events.js';
import type { JobCommands } from '../jobs/job-commands.js';
import type { NodeManager } from '../nodes/node-manager.js';
import type { Store } from '../store/store.js';
import { addApiRoutes } from './api-routes.js';
import { addBackupRoute, type BackupSource } from './backup-route.js';
import { addClusterRoutes } from './cluster-routes.js';
import { addCompatRoutes } from './compat-routes.js';
import { addDashboardRoutes } from './dashboard.js';
import { addDashboardApiRoutes } from './dashboard-api-routes.js';
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
  /** The nodes now, as ListNodes answers; drain and undrain. */
  nodes: Pick<NodeManager, 'list' | 'drain' | 'undrain'>;
  /** The cluster now: jobs by state, nodes, masters. */
  snapshot(): Promise<ClusterSnapshot>;
  /** Job and node events, for the dashboard's live feed. */
  events: MasterEvents;
  /** The store, for the online backup and the dashboard's bounded job search. */
  store: BackupSource & Pick<Store, 'listJobs' | 'findJobsByIdFragment'>;
  /** The last 15 minutes, for the dashboard's charts. */
  activity: Pick<ActivitySeries, 'toJson'>;
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
  addApiRoutes(router, { jobs, nodes: () => options.nodes.list() });
  router.add('GET', '/api/v1/cluster', async ({ res }) => sendJson(res, 200, clusterToJson(await snapshot())));
  router.add('GET', '/api/v1/events', ({ res }) => feed.connect(res));
  addBackupRoute(router, options.store);
  addCompatRoutes(router, jobs);
  addClusterRoutes(router, { jobs, masterId: options.masterId, snapshot });
  addDashboardApiRoutes(router, {
    jobs: {
      get: (id) => jobs.job(id),
      submit: (inputs, by) => jobs.submitMany(inputs, by),
      active: () => jobs.active(),
    },
    nodes: options.nodes,
    store: options.store,
    activity: options.activity,
    view: (job) => jobs.view(job),
  });
  addDashboardRoutes(router);
  return router;
}
