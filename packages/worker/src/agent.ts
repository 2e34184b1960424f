import * as grpc from '@grpc/grpc-js';
import {
  backoffDelay,
  errorMessage,
  HEARTBEATS_PER_TIMEOUT,
  MIN_HEARTBEAT_INTERVAL_MS,
  sleep,
  type Clock,
} from '@dist-exec/core';
import {
  attemptRefsFromWire,
  describeTlsFailure,
  fromServiceError,
  isServiceError,
  leaderHint,
  num,
  type TlsFailure,
  type wire,
} from '@dist-exec/proto';
import type { Logger } from 'pino';
import type { Fence } from './fence.js';
import { HeartbeatLink } from './heartbeat-link.js';
import type { MasterEpoch } from './master-epoch.js';
import type { MasterList } from './master-list.js';
import type { NodeSecretStore } from './node-secret-file.js';
import type { TaskRunner } from './runner.js';

export interface Registration {
  nodeId: string;
  address: string;
  capabilities: string[];
  /** The config schema of each capability that has one, as JSON. */
  taskConfigSchemas: Record<string, string>;
  maxTasks: number;
  labels: Record<string, string>;
  cpus: number;
  memoryBytes: number;
  weight: number;
  version: string;
  /** What the master presents when it calls our ExecutionService. */
  executionSecret: string;
}

export interface AgentOptions {
  /** The masters (one, or several sharing a database): the agent talks to the leader among them. */
  masters: MasterList;
  /** The highest leadership epoch seen: answers from an older one are refused. */
  epochs: MasterEpoch;
  runner: TaskRunner;
  clock: Clock;
  logger: Logger;
  registration: Registration;
  /** 0 = the interval the master asks for. */
  heartbeatIntervalMs: number;
  /** Deadline of each call to the master. */
  callTimeoutMs: number;
  /** Delays between registration attempts while the master is unreachable. */
  retryBaseMs: number;
  retryCapMs: number;
  /** Kills the worker's tasks when the master stays out of reach (see Fence). */
  fence?: Fence;
  /** The node's secret as kept from an earlier run ('' the first time). */
  nodeSecret: string;
  /** Where a secret the master issues is kept. */
  nodeSecrets: NodeSecretStore;
  /** Whether `client` dials the master over TLS (for what a failed handshake means). @default false */
  masterTls?: boolean;
}

/** Refusals no retry fixes by itself: logged as errors (once per message), not as an unreachable master. */
const REFUSED = new Set<number>([
  grpc.status.UNAUTHENTICATED,
  grpc.status.PERMISSION_DENIED,
  grpc.status.ALREADY_EXISTS,
]);

function refusalCode(error: unknown): number | null {
  const code = (error as Partial<grpc.ServiceError> | null)?.code;
  return typeof code === 'number' && REFUSED.has(code) ? code : null;
}

/** The worker's side of NodeService: registers, heartbeats, and applies the master's acks and kills. */
export class Agent {
  readonly #options: AgentOptions;
  readonly #log: Logger;
  readonly #stop = new AbortController();
  #link: HeartbeatLink;
  #registered = false;
  #intervalMs: number;
  #loop: Promise<void> | null = null;
  #beat: Promise<void> = Promise.resolve();
  #lastContactMs = 0;
  #unreachableSince = 0;
  #nodeSecret: string;
  /** The last refusal logged, so a retry loop logs it once. */
  #lastRefusal = '';

  constructor(options: AgentOptions) {
    this.#options = options;
    this.#log = options.logger.child({ component: 'agent' });
    this.#intervalMs = options.heartbeatIntervalMs || 5000;
    this.#link = new HeartbeatLink(options.masters.client, options.callTimeoutMs);
    this.#nodeSecret = options.nodeSecret;
  }

  get registered(): boolean {
    return this.#registered;
  }

  /** When the master last answered, in ms since the epoch (0 = never). */
  get lastContactMs(): number {
    return this.#lastContactMs;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  async #run(): Promise<void> {
    const { clock } = this.#options;
    let failures = 0;
    while (!this.#stop.signal.aborted) {
      try {
        if (!this.#registered) {
          await this.register();
          failures = 0;
        } else {
          await sleep(clock, this.#intervalMs, this.#stop.signal);
          await this.heartbeat();
        }
      } catch (error) {
        if (this.#stop.signal.aborted) break;
        failures += 1;
        const tls = this.#tlsProblem(error);
        if (refusalCode(error) !== null || (tls && !tls.closed)) this.#noteRefused(error, tls?.message);
        else {
          this.#noteUnreachable(error, tls?.message);
          this.#failOver(error);
        }
        if (!this.#registered) {
          const delay = backoffDelay(failures, { baseMs: this.#options.retryBaseMs, capMs: this.#options.retryCapMs });
          await sleep(clock, delay, this.#stop.signal).catch(() => {});
        }
      }
    }
  }

  /**
   * The master answered, and refused: a bad or revoked token, a node id
   * another worker holds, a stale node secret. Register again (in case the
   * refusal was about our node), and say why, once per reason. A TLS
   * handshake that fails (no client certificate, a CA that does not match) is
   * a refusal too: trying again does not fix it.
   */
  #noteRefused(error: unknown, tlsProblem?: string): void {
    this.#registered = false;
    const message = tlsProblem ?? errorMessage(fromServiceError(error));
    if (message === this.#lastRefusal) return;
    this.#lastRefusal = message;
    this.#log.error({ master: this.masterAddress, error: message }, 'the master refused this worker');
  }

  /**
   * The master is away, follows another, or is of an older epoch: with
   * several masters, go to the leader it named or the next one, and register
   * there (a new leader knows this node only from its registration).
   */
  #failOver(error: unknown): void {
    const masters = this.#options.masters;
    if (masters.size < 2 && !leaderHint(error)) return;
    const from = masters.address;
    masters.next(leaderHint(error));
    if (masters.address === from) return;
    this.#link.close();
    this.#link = new HeartbeatLink(masters.client, this.#options.callTimeoutMs);
    this.#registered = false;
    this.#log.info({ from, to: masters.address }, 'trying another master');
  }

  get masterAddress(): string {
    return this.#options.masters.address;
  }

  /** What a failed TLS connection to the master means; null when it failed otherwise. */
  #tlsProblem(error: unknown): TlsFailure | null {
    if (!isServiceError(error) || error.code !== grpc.status.UNAVAILABLE) return null;
    return describeTlsFailure(error.details, {
      peer: `the master at ${this.masterAddress}`,
      secure: this.#options.masterTls ?? false,
    });
  }

  #noteUnreachable(error: unknown, tlsProblem?: string): void {
    const now = this.#options.clock.now();
    const first = this.#unreachableSince === 0;
    if (first) this.#unreachableSince = now;
    // Log the start of an outage, then a reminder every 30s, not every retry.
    if (first || now - this.#lastReminderMs >= 30_000) {
      this.#lastReminderMs = now;
      this.#log.warn(
        {
          master: this.masterAddress,
          error: tlsProblem ?? errorMessage(fromServiceError(error)),
          unreachableForMs: now - this.#unreachableSince,
        },
        'cannot reach the master; retrying',
      );
    }
  }
  #lastReminderMs = 0;

  #reachable(): void {
    const now = this.#options.clock.now();
    if (this.#unreachableSince) {
      this.#log.info({ master: this.masterAddress, downForMs: now - this.#unreachableSince }, 'master reachable again');
      this.#unreachableSince = 0;
    }
    this.#lastContactMs = now;
    this.#options.fence?.contact();
  }

  #deadline(): grpc.CallOptions {
    return { deadline: new Date(Date.now() + this.#options.callTimeoutMs) };
  }

  async register(): Promise<void> {
    const { runner, registration } = this.#options;
    const response = await new Promise<wire.RegisterResponse__Output>((resolve, reject) => {
      this.#options.masters.client.Register(
        { ...registration, attempts: runner.reports(), draining: runner.draining, nodeSecret: this.#nodeSecret },
        this.#deadline(),
        (error, value) => (error || !value ? reject(error) : resolve(value)),
      );
    });
    this.#options.epochs.check(num(response.masterEpoch));
    this.#reachable();
    if (response.nodeSecret) {
      // Without it this node id is not ours after a restart (until its node is LOST).
      this.#nodeSecret = response.nodeSecret;
      try {
        this.#options.nodeSecrets.save(response.nodeSecret);
      } catch (error) {
        this.#log.error(
          { error: errorMessage(error) },
          'could not keep the node secret; after a restart this worker must wait until its node is LOST to register',
        );
      }
    }
    this.#lastRefusal = '';
    this.#registered = true;
    this.#intervalMs = this.#intervalFor(response);
    this.#apply(response);
    this.#log.info(
      { master: this.masterAddress, masterId: response.masterId, heartbeatIntervalMs: this.#intervalMs },
      'registered with the master',
    );
    const fenceAfterMs = this.#options.fence?.afterMs ?? 0;
    if (fenceAfterMs > 0 && response.rescheduleAfterMs > 0 && fenceAfterMs >= response.rescheduleAfterMs) {
      // The master would give our tasks to another node before we kill them here.
      this.#log.warn(
        { fenceAfterMs, rescheduleAfterMs: response.rescheduleAfterMs },
        "fence-after is not shorter than the master's reschedule time; a task cut off from the master may run twice",
      );
    }
  }

  /**
   * Our --heartbeat-interval, else the master's; at most a third of the
   * master's heartbeat timeout, so that one late beat does not make the node
   * flap (UNHEALTHY, its jobs rescheduled, HEALTHY again).
   */
  #intervalFor(response: wire.RegisterResponse__Output): number {
    const wanted = this.#options.heartbeatIntervalMs || response.heartbeatIntervalMs || 5000;
    // A master that does not send its timeout still sends when it reschedules, which is never sooner.
    const timeoutMs = response.heartbeatTimeoutMs || response.rescheduleAfterMs;
    if (!timeoutMs) return wanted;
    const most = Math.max(MIN_HEARTBEAT_INTERVAL_MS, Math.floor(timeoutMs / HEARTBEATS_PER_TIMEOUT));
    if (wanted <= most) return wanted;
    this.#log.warn(
      { heartbeatIntervalMs: wanted, masterHeartbeatTimeoutMs: timeoutMs, usingMs: most },
      `the heartbeat interval (${wanted}ms) is more than a third of the master's heartbeat timeout (${timeoutMs}ms), so the node would flap; heartbeating every ${most}ms instead`,
    );
    return most;
  }

  /** Sends one heartbeat now (serialized with the loop's). */
  heartbeat(): Promise<void> {
    this.#beat = this.#beat.catch(() => {}).then(() => this.#heartbeatOnce());
    return this.#beat;
  }

  async #heartbeatOnce(): Promise<void> {
    const { runner, registration } = this.#options;
    const response = await this.#link.send({
      nodeId: registration.nodeId,
      activeTasks: runner.running,
      attempts: runner.reports(),
      draining: runner.draining,
      nodeSecret: this.#nodeSecret,
    });
    this.#options.epochs.check(num(response.masterEpoch));
    this.#reachable();
    if (response.reregister) {
      // Leaving: registering again would put the node back on the list after it deregistered.
      if (this.#stop.signal.aborted) return;
      this.#log.info('the master does not know this node; registering again');
      this.#registered = false;
      await this.register();
      return;
    }
    this.#apply(response);
  }

  #apply(response: { ack: wire.AttemptRef__Output[]; kill: wire.AttemptRef__Output[] }): void {
    this.#options.runner.acknowledge(attemptRefsFromWire(response.ack));
    this.#options.runner.killStale(attemptRefsFromWire(response.kill));
  }

  /**
   * Stops heartbeating first, then deregisters: a heartbeat that reached the
   * master after the deregistration would have it register the node again.
   */
  async leave(): Promise<void> {
    await this.#halt();
    await new Promise<void>((resolve, reject) => {
      this.#options.masters.client.Deregister(
        { nodeId: this.#options.registration.nodeId, nodeSecret: this.#nodeSecret },
        this.#deadline(),
        (error) => (error ? reject(error) : resolve()),
      );
    });
    this.#registered = false;
  }

  async #halt(): Promise<void> {
    this.#stop.abort();
    await this.#loop;
    await this.#beat.catch(() => {});
    this.#link.close();
  }

  async stop(): Promise<void> {
    await this.#halt();
    this.#options.masters.close();
  }
}
