import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { errorMessage, type MasterInfo } from '@dist-exec/core';
import type { Logger } from 'pino';
import { compileMasterOptions, type CompiledMasterOptions, type MasterOptions } from '../config.js';
import { Master } from '../master.js';
import { PostgresLease, type LeaderLease, type LeaseView, type MasterRow } from '../store/postgres-lease.js';
import { Standby } from './standby.js';

type Role = 'new' | 'follower' | 'leader' | 'stopped';

/**
 * One of several masters sharing a PostgreSQL database. It follows (a
 * Standby on its ports, which points callers at the leader) until it takes
 * the lease; then it leads: a fresh Master on the same ports, built under the
 * lease's epoch, which rebuilds its view from the database and the workers'
 * reports exactly as after a restart. When the lease is lost (not renewed in
 * time, or a commit refused as stale) that Master is stopped and this one
 * follows again; a clean stop releases the lease, so another master takes
 * over within moments instead of a TTL.
 */
export class ClusteredMaster {
  readonly id = randomUUID();
  readonly options: CompiledMasterOptions;
  readonly #log: Logger;
  /** Made once the port is bound (the lease row carries the address). */
  #lease: PostgresLease | null = null;
  readonly #campaign = new AbortController();
  #standby: Standby | null = null;
  #master: Master | null = null;
  #role: Role = 'new';
  #port = 0;
  #httpPort = 0;
  #address = '';
  #loop: Promise<void> | null = null;
  #lost: (() => void) | null = null;
  #stopping: Promise<void> | null = null;
  /** Leadership changes this process saw (terms it began). */
  #terms = 0;

  constructor(options: MasterOptions, deps: { logger: Logger }) {
    this.options = compileMasterOptions(options);
    if (this.options.store !== 'postgres') throw new Error('several masters need --store postgres');
    this.#log = deps.logger;
  }

  get role(): Role {
    return this.#role;
  }

  get port(): number {
    return this.#port;
  }

  get httpPort(): number {
    return this.#httpPort;
  }

  /** The Master while this one leads. */
  get leader(): Master | null {
    return this.#master;
  }

  get terms(): number {
    return this.#terms;
  }

  /** Connects to the database (one line naming it when it cannot), binds the ports as a follower, and campaigns. */
  async start(): Promise<{ port: number; httpPort: number }> {
    const o = this.options;
    const standby = this.#follow(o.port, o.httpPort);
    const bound = await standby.start();
    this.#port = bound.port;
    this.#httpPort = bound.httpPort;
    this.#address = o.advertiseAddress || `${advertisedHost(o.host)}:${bound.port}`;
    const lease = new PostgresLease({
      url: o.databaseUrl,
      holder: this.id,
      address: this.#address,
      httpAddress: `${this.#address.replace(/:\d+$/, '')}:${bound.httpPort}`,
      ttlMs: o.leaseTtlMs,
      renewMs: o.leaseRenewMs,
      logger: this.#log,
      onLost: () => this.#lost?.(),
    });
    this.#lease = lease;
    try {
      await lease.open();
    } catch (error) {
      await standby.stop();
      throw error;
    }
    this.#role = 'follower';
    this.#log.info(
      { port: this.#port, httpPort: this.#httpPort, address: this.#address, masterId: this.id },
      'master following',
    );
    this.#loop = this.#run(lease);
    return bound;
  }

  #follow(port: number, httpPort: number): Standby {
    const standby = new Standby({
      host: this.options.host,
      port,
      httpPort,
      logger: this.#log,
      leader: () => {
        const view = this.#lease?.view;
        return view?.live && view.holder !== this.id ? view.address : '';
      },
      leaderHttp: () => {
        const view = this.#lease?.view;
        return view?.live && view.holder !== this.id ? view.httpAddress : '';
      },
    });
    this.#standby = standby;
    return standby;
  }

  async #run(lease: PostgresLease): Promise<void> {
    const signal = this.#campaign.signal;
    while (!signal.aborted) {
      let epoch: number;
      try {
        epoch = await lease.campaign(signal);
      } catch {
        return;
      }
      await this.#lead(lease, epoch);
      if (signal.aborted) return;
      try {
        await this.#follow(this.#port, this.#httpPort).start();
        this.#role = 'follower';
        this.#log.info({ port: this.#port, httpPort: this.#httpPort, masterId: this.id }, 'master following');
      } catch (error) {
        this.#log.fatal({ err: error }, 'could not bind the ports again to follow; exiting');
        process.exitCode = 1;
        this.#campaign.abort();
        return;
      }
    }
  }

  /** One term: a fresh Master under the lease, until the lease is lost or this master stops. */
  async #lead(lease: PostgresLease, epoch: number): Promise<void> {
    const term: LeaderLease = {
      epoch,
      holds: () => lease.epoch === epoch && lease.holds(),
      lost: (reason) => {
        if (lease.epoch === epoch) lease.lost(reason);
      },
    };
    const over = new Promise<void>((resolve) => (this.#lost = resolve));
    await this.#standby?.stop();
    this.#standby = null;
    const master = new Master(
      { ...this.options, port: this.#port, httpPort: this.#httpPort },
      { logger: this.#log, lease: term, masters: () => this.members(), terms: this.#terms + 1 },
    );
    this.#master = master;
    this.#terms += 1;
    try {
      await master.start();
      this.#role = 'leader';
      this.#log.info({ epoch, masterId: this.id, address: this.#address }, 'leading');
      await Promise.race([over, new Promise((resolve) => this.#campaign.signal.addEventListener('abort', resolve))]);
    } catch (error) {
      // Stopped while the Master was starting: stop() closed the store under it, nothing went wrong.
      if (!this.#campaign.signal.aborted)
        this.#log.error({ error: errorMessage(error), epoch }, 'could not start leading; following again');
    }
    if (this.#campaign.signal.aborted) return; // stop() stops the master and releases the lease.
    this.#master = null;
    await master.stop();
    await lease.release();
  }

  /** The lease row as last read, and the masters seen lately, for the cluster views. */
  async members(): Promise<MasterInfo[]> {
    const lease = this.#lease;
    if (!lease) return [];
    const view: LeaseView = await lease.read();
    const rows: MasterRow[] = await lease.masters();
    return rows.map((row) => {
      const leads = view.live && view.holder === row.id;
      return {
        id: row.id,
        address: row.address,
        leader: leads,
        epoch: leads ? view.epoch : 0,
        leaderSinceMs: leads ? view.leaderSinceMs : 0,
        leaseAgeMs: leads ? view.leaseAgeMs : row.seenAgoMs,
      };
    });
  }

  /** Stops leading or following; a leader stops its Master first, then releases the lease. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    this.#campaign.abort();
    const master = this.#master;
    this.#master = null;
    if (master) {
      // Hand over first: another master leads within moments, not after this one's shutdown grace.
      await master.quiesce();
      await this.#lease?.release();
      await master.stop();
    }
    await this.#standby?.stop();
    this.#standby = null;
    await this.#lease?.close();
    await this.#loop?.catch(() => undefined);
    this.#role = 'stopped';
  }
}

/** The host clients reach: the bind address unless it is every interface. */
function advertisedHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return hostname();
  return host.includes(':') ? `[${host}]` : host;
}
