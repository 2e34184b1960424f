import { execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { toolsRequired } from './http.js';
import { freePort } from './processes.js';

/**
 * A throwaway PostgreSQL server for tests and benchmarks: `initdb` in a
 * temporary directory, `pg_ctl` on a free loopback port, run as the `postgres`
 * user when we are root (PostgreSQL refuses to run as root). One server per
 * test file (about a second to start), a fresh database per test.
 */

const run = promisify(execFile);

export interface TestPostgresOptions {
  /** fsync and full-page writes on, as a production server runs (benchmarks); off for tests, which never lose power. @default false */
  durable?: boolean;
}

export interface TestPostgres {
  readonly port: number;
  /** `postgres://postgres@127.0.0.1:<port>/<database>` (trust authentication: no password). */
  url(database?: string): string;
  /** Creates an empty database and returns its URL. */
  createDatabase(): Promise<string>;
  /** Runs one statement as the superuser in `database`, and returns its rows. */
  query<Row extends object = Record<string, unknown>>(
    sql: string,
    values?: unknown[],
    database?: string,
  ): Promise<Row[]>;
  /** Closes every other connection to `database` (pg_terminate_backend), as a failover or an operator would. Returns how many. */
  terminateConnections(database: string): Promise<number>;
  /** Stops the server (fast shutdown: connections are cut), keeping its data. */
  stop(): Promise<void>;
  /** Starts a stopped server again, on the same port (nothing when it runs). */
  start(): Promise<void>;
  /** Stops the server and deletes its files. Idempotent. */
  destroy(): Promise<void>;
}

const BIN_CANDIDATES = '/usr/lib/postgresql';

/** Where initdb, pg_ctl and postgres are: `pg_config --bindir`, the newest /usr/lib/postgresql/N/bin, or PATH. */
export function postgresBinDir(): string | null {
  const hasTools = (dir: string): boolean => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'));
  try {
    const dir = execFileSync('pg_config', ['--bindir'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    if (dir && hasTools(dir)) return dir;
  } catch {
    // No pg_config (it comes with libpq-dev): look further.
  }
  if (existsSync(BIN_CANDIDATES)) {
    const versions = readdirSync(BIN_CANDIDATES)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const version of versions) {
      const dir = join(BIN_CANDIDATES, version, 'bin');
      if (hasTools(dir)) return dir;
    }
  }
  for (const dir of (process.env.PATH ?? '').split(':')) if (dir && hasTools(dir)) return dir;
  return null;
}

let warned = false;

/**
 * Whether PostgreSQL tests can run here. Without PostgreSQL they skip with a
 * message, except in CI (DIST_EXEC_REQUIRE_TOOLS=1), where they must run and
 * fail instead.
 */
export function postgresAvailable(): boolean {
  if (postgresBinDir()) return true;
  if (toolsRequired()) return true;
  if (!warned) {
    warned = true;
    console.warn('PostgreSQL tests skipped: no initdb/pg_ctl found (apt-get install -y postgresql)');
  }
  return false;
}

interface Identity {
  /** Prefix that runs a program as the server's user. */
  wrap: string[];
  uid: number;
  gid: number;
}

/** PostgreSQL refuses to run as root: then run it as `postgres`. */
function serverIdentity(): Identity {
  const uid = process.getuid?.() ?? -1;
  if (uid !== 0) return { wrap: [], uid, gid: process.getgid?.() ?? -1 };
  let ids: string[];
  try {
    ids = ['-u', '-g'].map((flag) => execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  } catch {
    throw new Error(
      'running as root, but there is no postgres user to run PostgreSQL as (apt-get install -y postgresql)',
    );
  }
  return { wrap: ['runuser', '-u', 'postgres', '--'], uid: Number(ids[0]), gid: Number(ids[1]) };
}

async function runAs(identity: Identity, program: string, args: string[]): Promise<string> {
  const argv = [...identity.wrap, program, ...args];
  try {
    const { stdout } = await run(argv[0] as string, argv.slice(1), { encoding: 'utf8', timeout: 120_000 });
    return stdout;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`${program} ${args[0] ?? ''} failed: ${stderr.trim() || (error as Error).message}`, {
      cause: error,
    });
  }
}

/**
 * A data directory made by initdb once per machine (per version and user) and
 * copied for each server: initdb takes seconds, a copy a fraction of one.
 */
async function templateDir(bin: string, identity: Identity): Promise<string> {
  const version = execFileSync(join(bin, 'pg_ctl'), ['--version'], { encoding: 'utf8' }).replace(/\W+/g, '-');
  const template = join(tmpdir(), `dist-exec-pg-initdb-${version}uid${identity.uid}`);
  if (existsSync(join(template, 'PG_VERSION'))) return template;
  const scratch = mkdtempSync(join(tmpdir(), 'dist-exec-pg-initdb-'));
  if (identity.wrap.length) chownSync(scratch, identity.uid, identity.gid);
  const data = join(scratch, 'data');
  await runAs(identity, join(bin, 'initdb'), [
    '-D',
    data,
    '-U',
    'postgres',
    '--auth=trust',
    '--no-sync',
    '-E',
    'UTF8',
    '--locale=C',
  ]);
  try {
    renameSync(data, template);
  } catch {
    // Another test file made it first.
  }
  rmSync(scratch, { recursive: true, force: true });
  return template;
}

/** Starts a PostgreSQL server in a temporary directory on a free loopback port. */
export async function startTestPostgres(options: TestPostgresOptions = {}): Promise<TestPostgres> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL is not installed (apt-get install -y postgresql)');
  const identity = serverIdentity();
  const template = await templateDir(bin, identity);
  const dir = mkdtempSync(join(tmpdir(), 'dist-exec-pg-'));
  if (identity.wrap.length) chownSync(dir, identity.uid, identity.gid);
  const data = join(dir, 'data');
  await runAs(identity, 'cp', ['-a', template, data]);
  const log = join(dir, 'server.log');
  const pgCtl = join(bin, 'pg_ctl');
  const durable = options.durable ?? false;
  let port = 0;
  let running = false;
  let destroyed = false;

  const settings = (): string =>
    [
      `-p ${port}`,
      `-k ${dir}`,
      '-c listen_addresses=127.0.0.1',
      `-c fsync=${durable ? 'on' : 'off'}`,
      `-c full_page_writes=${durable ? 'on' : 'off'}`,
      '-c max_connections=200',
    ].join(' ');
  const start = async (): Promise<void> => {
    if (running) return;
    await runAs(identity, pgCtl, ['start', '-D', data, '-l', log, '-w', '-t', '60', '-o', settings()]);
    running = true;
  };
  const stopNow = (): void => {
    if (!running) return;
    const argv = [...identity.wrap, pgCtl, 'stop', '-D', data, '-m', 'immediate'];
    spawnSync(argv[0] as string, argv.slice(1));
  };
  // A test process that exits without destroy() (a failed hook) must not leave a server behind; nor one
  // killed by a signal, which runs no exit handler: a watchdog shell stops the server once we are gone.
  process.once('exit', stopNow);
  const quote = (arg: string): string => `'${arg.replace(/'/g, `'\\''`)}'`;
  const stopCommand = [...identity.wrap, pgCtl, 'stop', '-D', data, '-m', 'immediate'].map(quote).join(' ');
  const watchdog = spawn(
    'sh',
    ['-c', `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; ${stopCommand}; rm -rf ${quote(dir)}`],
    { detached: true, stdio: 'ignore' },
  );
  watchdog.unref();
  const callOffWatchdog = (): void => {
    try {
      if (watchdog.pid) process.kill(-watchdog.pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
  };

  for (let tries = 1; ; tries += 1) {
    port = await freePort();
    try {
      await start();
      break;
    } catch (error) {
      // Another process took the port between freePort() and the server's bind: try another.
      const said = existsSync(log) ? readFileSync(log, 'utf8') : '';
      if (tries >= 5 || !/could not (bind|create listen)|already in use/i.test(said)) {
        callOffWatchdog();
        rmSync(dir, { recursive: true, force: true });
        throw error;
      }
    }
  }

  const url = (database = 'postgres'): string => `postgres://postgres@127.0.0.1:${port}/${database}`;
  const query = async <Row extends object>(
    sql: string,
    values: unknown[] = [],
    database = 'postgres',
  ): Promise<Row[]> => {
    const client = new pg.Client({ connectionString: url(database) });
    client.on('error', () => undefined);
    await client.connect();
    try {
      return (await client.query<Row>(sql, values)).rows;
    } finally {
      await client.end();
    }
  };
  let databases = 0;
  return {
    port,
    url,
    query,
    async createDatabase() {
      databases += 1;
      const name = `test_${process.pid}_${databases}`;
      await query(`CREATE DATABASE ${name}`);
      return url(name);
    },
    async terminateConnections(database) {
      const rows = await query<{ n: string }>(
        'SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
        [database],
      );
      return Number(rows[0]?.n ?? 0);
    },
    async stop() {
      if (!running) return;
      await runAs(identity, pgCtl, ['stop', '-D', data, '-m', 'fast', '-w', '-t', '60']);
      running = false;
    },
    start,
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      process.off('exit', stopNow);
      callOffWatchdog();
      if (running) await runAs(identity, pgCtl, ['stop', '-D', data, '-m', 'immediate', '-w']).catch(() => undefined);
      running = false;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The database name of a URL made by `createDatabase()`. */
export function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.slice(1));
}
