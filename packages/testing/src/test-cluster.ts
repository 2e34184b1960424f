import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DistExecClient } from '@dist-exec/client';
import { Master, type MasterDeps, type MasterOptions } from '@dist-exec/master';
import { Worker, type WorkerDeps, type WorkerOptions } from '@dist-exec/worker';
import { testLogger } from './logger.js';
import { until } from './until.js';

export interface TestClusterOptions {
  workers?: number;
  master?: MasterOptions;
  masterDeps?: MasterDeps;
  /** Options for every worker; ids default to worker-1..N. */
  worker?: WorkerOptions;
  workerDeps?: WorkerDeps;
}

export interface TestCluster {
  master: Master;
  workers: Worker[];
  address: string;
  /** Presents the admin token. */
  client: DistExecClient;
  /** The master's bootstrap admin token. */
  adminToken: string;
  /** The worker token the workers present (the master's --worker-token-file). */
  workerToken: string;
  /** Starts one more worker and waits until it is registered. */
  addWorker(options?: WorkerOptions): Promise<Worker>;
  stop(): Promise<void>;
}

/** Never the repository: a fresh temporary data dir (the admin token lives there, with any store). */
function dataDirFor(options: MasterOptions = {}): string {
  return options.dataDir ?? mkdtempSync(join(tmpdir(), 'dist-exec-test-'));
}

/**
 * A real master and real workers in this process, on ports the OS picks,
 * talking gRPC over loopback. Resolves once every worker is registered.
 */
export async function startTestCluster(options: TestClusterOptions = {}): Promise<TestCluster> {
  const logger = testLogger();
  const dataDir = dataDirFor(options.master);
  // In memory unless a test asks for sqlite. Workers get a worker token, as in `dist-exec up`.
  const master = new Master(
    {
      host: '127.0.0.1',
      port: 0,
      httpPort: 0,
      heartbeatIntervalMs: 200,
      store: 'memory',
      workerTokenFile: join(dataDir, 'worker.token'),
      ...options.master,
      dataDir,
    },
    { logger, ...options.masterDeps },
  );
  const { port } = await master.start();
  const address = `127.0.0.1:${port}`;
  const adminToken = master.adminToken;
  const workerFile = master.options.workerTokenFile;
  const workerToken = workerFile ? readFileSync(workerFile, 'utf8').trim() : '';
  const workers: Worker[] = [];
  const addWorker = async (extra: WorkerOptions = {}): Promise<Worker> => {
    const worker = new Worker(
      {
        masterAddress: address,
        host: '127.0.0.1',
        port: 0,
        id: `worker-${workers.length + 1}`,
        stateDir: mkdtempSync(join(tmpdir(), 'dist-exec-worker-state-')),
        maxTasks: 4,
        killGraceMs: 1000,
        token: workerToken,
        ...options.worker,
        ...extra,
      },
      { logger, ...options.workerDeps },
    );
    const { id } = await worker.start();
    workers.push(worker);
    await until(() => master.nodes.list().some((n) => n.id === id), { message: `worker ${id} to register` });
    return worker;
  };
  for (let i = 0; i < (options.workers ?? 1); i += 1) await addWorker();
  const client = new DistExecClient({ address, token: adminToken });
  return {
    master,
    workers,
    address,
    client,
    adminToken,
    workerToken,
    addWorker,
    async stop() {
      client.close();
      await Promise.all(workers.map((w) => w.kill()));
      await master.stop();
    },
  };
}
