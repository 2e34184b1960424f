import { performance } from 'node:perf_hooks';
import pg from 'pg';
import type { Logger } from 'pino';
import { StoreUnusableError } from './database-file.js';
import { NewerSchemaError } from './migrations.js';
import { describeOpenFailure, failureText, maskDatabaseUrl } from './postgres-errors.js';
import { migratePostgres, NotOurSchemaError } from './postgres-schema.js';

/**
 * Leadership of the masters that share one PostgreSQL database: a lease row
 * (`dist_exec.lease`) with a holder, a fencing epoch and an expiry on the
 * database's clock. A master takes the lease once it has expired (epoch + 1),
 * renews it by holder *and* epoch every `renewMs` (a lease renewed by name
 * alone kept a stale leader alive in Oban #1488), and steps down by its own
 * monotonic clock when it has not renewed for the TTL minus a margin: before
 * the lease can expire on the database and be taken. No session advisory lock
 * is involved: those are lost silently with a pooled or dropped connection,
 * and never expire for a paused holder. The holder is the master's id, random
 * per process, never the host's name.
 *
 * Every write only a leader may make names the epoch (dist_exec.commit_writes
 * refuses a stale one), and workers refuse orders from an older epoch: a
 * paused leader that wakes up changes nothing.
 */

export const DEFAULT_LEASE_TTL_MS = 10_000;
export const DEFAULT_LEASE_RENEW_MS = 2000;
const NOTIFY_CHANNEL = 'dist_exec_lease';
/** A master not seen for this many renew intervals is left out of the cluster view. */
const SEEN_WITHIN_RENEWS = 5;

/** What the store, the dispatcher and the node API need of the lease a leading master holds. */
export interface LeaderLease {
  /** The fencing epoch this master leads under. */
  readonly epoch: number;
  /** Whether this master may still act as the leader now, by its own monotonic clock. */
  holds(): boolean;
  /** Something proved the lease lost (a commit refused under its epoch): step down. */
  lost(reason: string): void;
}

/** The step-down margin: a leader gives up this long before its lease could expire on the database. */
export function stepDownMarginMs(ttlMs: number): number {
  return Math.max(100, Math.floor(ttlMs / 5));
}

/** Whether a lease last renewed (the renewal sent) at `renewedAtMs` still holds at `nowMs`, on one monotonic clock. */
export function leaseHeld(renewedAtMs: number, nowMs: number, ttlMs: number): boolean {
  return nowMs - renewedAtMs < ttlMs - stepDownMarginMs(ttlMs);
}

/** The lease row as a master sees it. */
export interface LeaseView {
  holder: string | null;
  /** The holder's gRPC address as given to clients. */
  address: string;
  /** The holder's HTTP host:port ('' when unknown). */
  httpAddress: string;
  epoch: number;
  ttlMs: number;
  /** Whether it has not expired (database clock). */
  live: boolean;
  /** When the holder took it, ms since the epoch (database clock); 0 = never taken. */
  leaderSinceMs: number;
  /** How long ago it was last renewed. */
  leaseAgeMs: number;
  /** How long until it expires (negative: expired). */
  expiresInMs: number;
}

/** A master sharing the database, as the views list them. */
export interface MasterRow {
  id: string;
  address: string;
  /** How long ago it was last seen (database clock). */
  seenAgoMs: number;
}

export interface PostgresLeaseOptions {
  url: string;
  /** This master's id: unique per process. */
  holder: string;
  /** This master's gRPC address as given to clients. */
  address: string;
  /** Its HTTP port's host:port, where followers forward HTTP API requests. */
  httpAddress: string;
  /** @default 10000 */
  ttlMs?: number;
  /** @default 2000 */
  renewMs?: number;
  logger: Logger;
  /** Told once when the lease is lost while leading. */
  onLost(reason: string): void;
  /** Monotonic ms (tests); @default performance.now */
  monotonic?: () => number;
  /** @default 5000 */
  connectTimeoutMs?: number;
}

const LEASE_SQL = `
  SELECT l.holder, l.address, coalesce(m.http_address, '') AS http_address, l.epoch, l.ttl_ms, l.expires_at > now() AS live,
         coalesce((extract(epoch FROM l.acquired_at) * 1000)::bigint, 0) AS since_ms,
         coalesce((extract(epoch FROM now() - l.renewed_at) * 1000)::bigint, 0) AS age_ms,
         CASE WHEN isfinite(l.expires_at) THEN (extract(epoch FROM l.expires_at - now()) * 1000)::bigint ELSE -1 END AS expires_in_ms
  FROM dist_exec.lease AS l LEFT JOIN dist_exec.masters AS m ON m.id = l.holder`;
const TAKE_SQL = `
  UPDATE dist_exec.lease
  SET holder = $1, address = $2, epoch = epoch + 1, ttl_ms = $3::integer, acquired_at = now(), renewed_at = now(),
      expires_at = now() + $3::integer * interval '1 millisecond'
  WHERE expires_at <= now()
  RETURNING epoch`;
const RENEW_SQL = `
  WITH renewed AS (
    UPDATE dist_exec.lease SET renewed_at = now(), expires_at = now() + ttl_ms * interval '1 millisecond'
    WHERE holder = $1 AND epoch = $2
    RETURNING epoch
  ), seen AS (
    UPDATE dist_exec.masters SET seen_at = now() WHERE id = $1 AND EXISTS (SELECT 1 FROM renewed)
  )
  SELECT epoch FROM renewed`;
const RELEASE_SQL = `
  WITH released AS (
    UPDATE dist_exec.lease SET expires_at = now() WHERE holder = $1 AND epoch = $2 RETURNING epoch
  )
  SELECT pg_notify('${NOTIFY_CHANNEL}', epoch::text) FROM released`;
const SEEN_SQL = `
  INSERT INTO dist_exec.masters (id, address, http_address) VALUES ($1, $2, $3)
  ON CONFLICT (id) DO UPDATE SET address = excluded.address, http_address = excluded.http_address, seen_at = now()`;

export class PostgresLease implements LeaderLease {
  readonly #options: PostgresLeaseOptions;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #ttlMs: number;
  readonly #renewMs: number;
  #pool: pg.Pool | null = null;
  #listener: pg.Client | null = null;
  #wake: (() => void) | null = null;
  #epoch = 0;
  #renewedAt = 0;
  #leading = false;
  #renewTimer: NodeJS.Timeout | null = null;
  #watchdog: NodeJS.Timeout | null = null;
  #closed = false;
  #view: LeaseView | null = null;

  constructor(options: PostgresLeaseOptions) {
    this.#options = options;
    this.#log = options.logger.child({ component: 'lease' });
    this.#now = options.monotonic ?? (() => performance.now());
    this.#ttlMs = options.ttlMs ?? DEFAULT_LEASE_TTL_MS;
    this.#renewMs = options.renewMs ?? DEFAULT_LEASE_RENEW_MS;
  }

  get epoch(): number {
    return this.#epoch;
  }

  get ttlMs(): number {
    return this.#ttlMs;
  }

  /** The lease row as last read (null before the first read). */
  get view(): LeaseView | null {
    return this.#view;
  }

  holds(): boolean {
    return this.#leading && leaseHeld(this.#renewedAt, this.#now(), this.#ttlMs);
  }

  /** Connects, brings the schema up to date and says this master is here. Throws one line naming the URL (password masked). */
  async open(): Promise<void> {
    const pool = new pg.Pool({
      connectionString: this.#options.url,
      connectionTimeoutMillis: this.#options.connectTimeoutMs ?? 5000,
      // A renewal that hangs must not outlive the lease it renews.
      query_timeout: Math.max(1000, this.#renewMs),
      max: 2,
      application_name: 'dist-exec-master-lease',
    });
    pool.on('error', (error) => this.#log.debug({ err: error }, 'idle lease connection closed'));
    this.#pool = pool;
    try {
      const client = await pool.connect();
      try {
        await migratePostgres(client);
      } finally {
        client.release();
      }
      await pool.query(SEEN_SQL, [this.#options.holder, this.#options.address, this.#options.httpAddress]);
      await this.read();
    } catch (error) {
      await this.close();
      if (error instanceof NewerSchemaError || error instanceof NotOurSchemaError)
        throw new StoreUnusableError(maskDatabaseUrl(this.#options.url), error.message, { cause: error });
      throw describeOpenFailure(this.#options.url, error);
    }
  }

  /** Reads the lease row. */
  async read(): Promise<LeaseView> {
    const { rows } = await this.#query<Record<string, string | boolean | null>>(LEASE_SQL, []);
    const row = rows[0] ?? {};
    const view: LeaseView = {
      holder: row.holder === null || row.holder === undefined ? null : String(row.holder),
      address: String(row.address ?? ''),
      httpAddress: String(row.http_address ?? ''),
      epoch: Number(row.epoch ?? 0),
      ttlMs: Number(row.ttl_ms ?? 0),
      live: row.live === true,
      leaderSinceMs: Number(row.since_ms ?? 0),
      leaseAgeMs: Number(row.age_ms ?? 0),
      expiresInMs: Number(row.expires_in_ms ?? -1),
    };
    this.#view = view;
    return view;
  }

  /** The masters seen lately (a master that stopped cleanly is gone at once). */
  async masters(): Promise<MasterRow[]> {
    const { rows } = await this.#query<{ id: string; address: string; ago: string }>(
      `SELECT id, address, (extract(epoch FROM now() - seen_at) * 1000)::bigint AS ago FROM dist_exec.masters
       WHERE seen_at > now() - $1::bigint * interval '1 millisecond' ORDER BY started_at`,
      [this.#renewMs * SEEN_WITHIN_RENEWS + this.#ttlMs],
    );
    return rows.map((row) => ({ id: row.id, address: row.address, seenAgoMs: Number(row.ago) }));
  }

  /**
   * Waits until this master holds the lease, then keeps renewing it; resolves
   * with the epoch. Tries whenever the lease expires, when its holder
   * releases it (NOTIFY, a hint) and every renew interval (the fallback, as
   * notifications are lost with their connection). Rejects when aborted.
   */
  async campaign(signal: AbortSignal): Promise<number> {
    let unreachable = false;
    while (!signal.aborted && !this.#closed) {
      let waitMs = this.#renewMs;
      try {
        await this.#listen();
        await this.#query(SEEN_SQL, [this.#options.holder, this.#options.address, this.#options.httpAddress]);
        const sentAt = this.#now();
        const { rows } = await this.#query<{ epoch: string }>(TAKE_SQL, [
          this.#options.holder,
          this.#options.address,
          this.#ttlMs,
        ]);
        if (unreachable) this.#log.info('database reachable again');
        unreachable = false;
        if (rows[0]) {
          this.#lead(Number(rows[0].epoch), sentAt);
          await this.read().catch(() => undefined);
          return this.#epoch;
        }
        const view = await this.read();
        if (view.ttlMs !== this.#ttlMs)
          this.#log.debug({ leaseTtlMs: view.ttlMs, ownTtlMs: this.#ttlMs }, 'the leader renews with another TTL');
        // Try again as the lease expires, or sooner when told it was released.
        waitMs = Math.max(20, Math.min(this.#renewMs, view.expiresInMs + 20));
      } catch (error) {
        if (!unreachable) this.#log.warn({ error: failureText(error) }, 'cannot reach the database to take the lease');
        unreachable = true;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, waitMs);
        timer.unref();
        function done(): void {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          resolve();
        }
        this.#wake = done;
        signal.addEventListener('abort', done, { once: true });
      });
      this.#wake = null;
    }
    throw new Error('the campaign for the lease was stopped');
  }

  #lead(epoch: number, sentAt: number): void {
    this.#epoch = epoch;
    this.#renewedAt = sentAt;
    this.#leading = true;
    this.#stopListening();
    this.#log.info({ epoch, ttlMs: this.#ttlMs, renewMs: this.#renewMs }, 'took the lease; leading');
    this.#armWatchdog();
    this.#scheduleRenew();
  }

  #scheduleRenew(): void {
    this.#renewTimer = setTimeout(() => void this.#renew(), this.#renewMs);
    this.#renewTimer.unref();
  }

  async #renew(): Promise<void> {
    this.#renewTimer = null;
    if (!this.#leading) return;
    const sentAt = this.#now();
    try {
      const { rows } = await this.#query(RENEW_SQL, [this.#options.holder, this.#epoch]);
      if (!this.#leading) return;
      if (rows.length === 0) {
        this.lost(`another master took the lease (epoch ${this.#epoch} is over)`);
        return;
      }
      // Renewed: the database's expiry is at least TTL after the moment it was sent.
      if (leaseHeld(this.#renewedAt, this.#now(), this.#ttlMs)) this.#renewedAt = sentAt;
      else {
        this.lost(`the lease was renewed too late (${Math.round(this.#now() - this.#renewedAt)}ms after the last)`);
        return;
      }
      this.#armWatchdog();
    } catch (error) {
      this.#log.warn({ error: failureText(error), epoch: this.#epoch }, 'could not renew the lease');
    }
    if (this.#leading) this.#scheduleRenew();
  }

  /** Steps down when the lease goes unrenewed for the TTL minus the margin. */
  #armWatchdog(): void {
    if (this.#watchdog) clearTimeout(this.#watchdog);
    const left = this.#renewedAt + this.#ttlMs - stepDownMarginMs(this.#ttlMs) - this.#now();
    this.#watchdog = setTimeout(
      () => {
        this.#watchdog = null;
        if (this.#leading && !this.holds())
          this.lost(`could not renew the lease for ${Math.round(this.#now() - this.#renewedAt)}ms`);
        else if (this.#leading) this.#armWatchdog();
      },
      Math.max(0, left),
    );
    this.#watchdog.unref();
  }

  lost(reason: string): void {
    if (!this.#leading) return;
    this.#leading = false;
    this.#clearTimers();
    this.#log.error({ epoch: this.#epoch, reason }, 'lost the lease; stepping down');
    this.#options.onLost(reason);
  }

  /** Lets the lease go at once (a clean stop), so another master takes over within moments. */
  async release(): Promise<void> {
    const epoch = this.#epoch;
    const leading = this.#leading;
    this.#leading = false;
    this.#clearTimers();
    if (!leading || epoch === 0) return;
    try {
      await this.#query(RELEASE_SQL, [this.#options.holder, epoch]);
      this.#log.info({ epoch }, 'released the lease');
    } catch (error) {
      this.#log.warn({ error: failureText(error) }, 'could not release the lease; it expires by itself');
    }
  }

  /** Listens for releases while following (a hint; polling is the fallback). */
  async #listen(): Promise<void> {
    if (this.#listener) return;
    const client = new pg.Client({
      connectionString: this.#options.url,
      connectionTimeoutMillis: this.#options.connectTimeoutMs ?? 5000,
      application_name: 'dist-exec-master-listen',
    });
    const drop = (): void => {
      if (this.#listener === client) this.#listener = null;
      client.end().catch(() => undefined);
    };
    client.on('error', drop);
    client.on('notification', () => this.#wake?.());
    this.#listener = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${NOTIFY_CHANNEL}`);
    } catch (error) {
      drop();
      throw error;
    }
  }

  #stopListening(): void {
    const listener = this.#listener;
    this.#listener = null;
    listener?.end().catch(() => undefined);
  }

  async #query<Row extends object = Record<string, unknown>>(
    text: string,
    values: unknown[],
  ): Promise<pg.QueryResult<Row>> {
    const pool = this.#pool;
    if (!pool) throw new Error('the lease is closed');
    return pool.query<Row>(text, values);
  }

  #clearTimers(): void {
    if (this.#renewTimer) clearTimeout(this.#renewTimer);
    if (this.#watchdog) clearTimeout(this.#watchdog);
    this.#renewTimer = null;
    this.#watchdog = null;
  }

  /** Releases the lease when held, forgets this master in the view, and disconnects. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#wake?.();
    await this.release();
    this.#stopListening();
    const pool = this.#pool;
    if (pool) {
      await pool.query('DELETE FROM dist_exec.masters WHERE id = $1', [this.#options.holder]).catch(() => undefined);
      this.#pool = null;
      await pool.end().catch(() => undefined);
    }
  }
}
