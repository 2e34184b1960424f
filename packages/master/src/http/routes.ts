import type { Master } from '../master.js';
import { addApiRoutes } from './api-routes.js';
import { addCompatRoutes } from './compat-routes.js';
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
  addOpsRoutes(router, { metrics: master.metrics, readiness: options.readiness });
  addApiRoutes(router, { cluster: master.cluster, nodes: master.nodes, scheduler: master.scheduler });
  addCompatRoutes(router, master.cluster);
  return router;
}
