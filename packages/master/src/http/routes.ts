import type { Master } from '../master.js';
import { addOpsRoutes, type Readiness } from './ops-routes.js';
import { Router } from './router.js';

export interface MasterRoutesOptions {
  master: Master;
  readiness(): Readiness;
}

/** Every route of the master's HTTP port. */
export function buildRouter(options: MasterRoutesOptions): Router {
  const router = new Router();
  addOpsRoutes(router, { metrics: options.master.metrics, readiness: options.readiness });
  return router;
}
