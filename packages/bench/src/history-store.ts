import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DATABASE_FILE, MemoryStore, openDatabase, PostgresStore, SqliteStore, type Store } from '@dist-exec/master';
import { testLogger, type TestPostgres } from '@dist-exec/testing';
import type { StoreKind } from './scenario.js';

/**
 * Where the history benchmark keeps one store: a data dir or a PostgreSQL
 * database it can open, reopen, hand to a master process and measure on disk.
 */
export interface HistoryPlace {
  kind: StoreKind;
  /** A new store object on this place (not opened). */
  create(): Store;
  /** The master's flags to serve this place; null for memory (nothing to restart from). */
  masterArgs: string[] | null;
  /** Bytes on disk: everything, and the job rows with their indexes alone (no output). */
  size(): Promise<{ total: number; jobs: number }>;
  remove(): Promise<void>;
}

function filesBytes(dir: string): number {
  return readdirSync(dir)
    .filter((name) => name.startsWith(DATABASE_FILE))
    .reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);
}

export function sqlitePlace(dataDir: string): HistoryPlace {
  return {
    kind: 'sqlite',
    create: () => new SqliteStore({ dataDir, logger: testLogger() }),
    masterArgs: ['--store', 'sqlite', '--data-dir', dataDir],
    async size() {
      // While the store is closed: dbstat sums the pages of each table and index.
      const { db, lock } = openDatabase(dataDir);
      try {
        const rows = db.prepare('SELECT name, sum(pgsize) AS bytes FROM dbstat GROUP BY name').all() as {
          name: string;
          bytes: number;
        }[];
        const jobs = rows
          .filter((row) => row.name === 'jobs' || row.name.startsWith('jobs_') || row.name.includes('autoindex_jobs'))
          .reduce((sum, row) => sum + row.bytes, 0);
        return { total: filesBytes(dataDir), jobs };
      } finally {
        db.close();
        lock.close();
      }
    },
    async remove() {
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function postgresPlace(server: TestPostgres): Promise<HistoryPlace> {
  const url = await server.createDatabase();
  const database = new URL(url).pathname.slice(1);
  return {
    kind: 'postgres',
    create: () => new PostgresStore({ url, logger: testLogger() }),
    masterArgs: ['--store', 'postgres', '--database-url', url],
    async size() {
      const [row] = await server.query<{ total: string; jobs: string }>(
        `SELECT pg_database_size(current_database()) AS total,
                pg_total_relation_size('dist_exec.jobs') AS jobs`,
        [],
        database,
      );
      return { total: Number(row?.total), jobs: Number(row?.jobs) };
    },
    async remove() {
      await server.terminateConnections(database);
      await server.query(`DROP DATABASE IF EXISTS ${database}`);
    },
  };
}

/** The memory store: one object, measured in place (it has no file and no restart). */
export function memoryPlace(): HistoryPlace {
  const store = new MemoryStore();
  return {
    kind: 'memory',
    create: () => store,
    masterArgs: null,
    async size() {
      return { total: NaN, jobs: NaN };
    },
    async remove() {},
  };
}
