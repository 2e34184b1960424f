import { clusterToJson, type Job } from '@dist-exec/core';
import type { Master } from '../master.js';
import { addApiRoutes } from './api-routes.js';
import { addBackupRoute } from './backup-route.js';
import { addClusterRoutes } from './cluster-routes.js';
import { addCompatRoutes } from './compat-routes.js';
import { addDashboardRoutes } from './dashboard.js';
import { addDashboardApiRoutes } from './dashboard-api-routes.js';
import { sendJson } from './io.js';
import { LiveFeed } from './live-feed.js';
import { addOpsRoutes, type Readiness } from './ops-routes.js';
import { Router } from './router.js';

export interface MasterRoutesOptions {
  master: Master;
  readiness(): Readiness;
}

/** Every route of the master's HTTP port. */
export function buildRouter(options: MasterRoutesOptions): Router {
  const { master } = options;
  const router = new Router();
  // Why a pending job waits is worked out when someone asks, as over gRPC.
  const view = <T extends Job>(job: T): T =>
    job.state === 'PENDING' ? { ...job, pendingReason: master.scheduler.pendingReason(job) } : job;
  const feed = new LiveFeed({ events: master.events, snapshot: () => master.snapshot(), view, logger: master.logger });

  addOpsRoutes(router, { metrics: master.metrics, readiness: options.readiness });
  addApiRoutes(router, { cluster: master.cluster, nodes: master.nodes, view });
  router.add('GET', '/api/v1/cluster', async ({ res }) => sendJson(res, 200, clusterToJson(await master.snapshot())));
  router.add('GET', '/api/v1/events', ({ res }) => feed.connect(res));
  addBackupRoute(router, master.store);
  addCompatRoutes(router, master.cluster);
  addClusterRoutes(router, { cluster: master.cluster, masterId: master.id, snapshot: () => master.snapshot() });
  addDashboardApiRoutes(router, {
    jobs: {
      get: (id) => master.cluster.getJob(id),
      submit: (inputs, by) => master.cluster.submit(inputs, by),
      active: () => master.cluster.activeJobs(),
    },
    nodes: master.nodes,
    store: master.store,
    activity: master.activity,
    view,
  });
  addDashboardRoutes(router);
  return router;
}
