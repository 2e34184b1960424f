import {
  attemptKey,
  currentAttempt,
  NotFoundError,
  parseAttemptKey,
  type AttemptRef,
  type AttemptReport,
  type Clock,
  type NodeInfo,
} from '@dist-exec/core';
import type { Logger } from 'pino';
import type { ClusterState } from '../cluster-state.js';
import type { Rescheduler } from '../controllers/rescheduler.js';
import type { MasterEvents } from '../events.js';
import type { FailureDetector } from './failure-detector.js';
import { healthAfter, type HealthTimeouts, type NodeHealth } from './health.js';
import type { NodeRecord } from './node-record.js';
import { checkRegistration, type NodeRegistration } from './registration.js';
import type { NodeRegistry } from './registry.js';
import { PauseLedger } from './pause-ledger.js';

export interface NodeManagerOptions extends HealthTimeouts {
  cluster: ClusterState;
  registry: NodeRegistry;
  /** The attempts' side of a node's connection (the dispatcher). */
  links: AttemptLinks;
  /** What becomes of a failed node's attempts. */
  rescheduler: Rescheduler;
  /** Its verdicts make a node UNHEALTHY before the heartbeat timeout (see `markDown`). */
  detector: FailureDetector;
  clock: Clock;
  logger: Logger;
  /** Interval the master asks workers to heartbeat at. */
  heartbeatIntervalMs: number;
  /** LOST nodes are forgotten after this long. */
  forgetLostAfterMs: number;
  /** Where heartbeats are counted. */
  events?: MasterEvents;
}

/** What the dispatcher does for the node manager. */
export interface AttemptLinks {
  /** A live Execute stream exists for the attempt: its events tell the truth. */
  isStreaming(ref: AttemptRef): boolean;
  /** Open an Execute stream to an attempt the node already runs (or finished). */
  attach(ref: AttemptRef, node: NodeRecord): void;
  /** The node is gone: drop its connection. */
  forgetNode(nodeId: string): void;
  /** The node registered (again): whatever was learnt about its failures is moot. */
  nodeRegistered(nodeId: string): void;
}

export interface Reconciliation {
  /** Finished results the master has applied: the worker may forget them. */
  ack: AttemptRef[];
  /** Attempts that are not current: the worker kills and forgets them. */
  kill: AttemptRef[];
}

/**
 * Registration, heartbeats, draining and time-based health of worker nodes,
 * and the reconciliation between what a worker reports and what the master
 * believes (see DESIGN.md, "Attempts and reconciliation"). What a failed
 * node's attempts become is the Rescheduler's call.
 */
export class NodeManager {
  readonly #cluster: ClusterState;
  readonly #registry: NodeRegistry;
  readonly #links: AttemptLinks;
  readonly #rescheduler: Rescheduler;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #options: NodeManagerOptions;
  readonly #pauses: PauseLedger;

  constructor(options: NodeManagerOptions) {
    this.#options = options;
    this.#cluster = options.cluster;
    this.#registry = options.registry;
    this.#links = options.links;
    this.#rescheduler = options.rescheduler;
    this.#clock = options.clock;
    this.#log = options.logger.child({ component: 'nodes' });
    this.#pauses = new PauseLedger(options.nodeLostTimeoutMs + options.forgetLostAfterMs);
    options.detector.subscribe({ down: (node, why) => this.markDown(node.id, why) });
  }

  get heartbeatIntervalMs(): number {
    return this.#options.heartbeatIntervalMs;
  }

  /** Silence after which a node is UNHEALTHY. */
  get heartbeatTimeoutMs(): number {
    return this.#options.heartbeatTimeoutMs;
  }

  /** Silence after which a node's attempts are given to other nodes. */
  get rescheduleAfterMs(): number {
    return this.#rescheduler.rescheduleAfterMs;
  }

  list(): NodeInfo[] {
    const now = this.#clock.now();
    return [...this.#registry.all()].filter((n) => !n.recovering).map((n) => n.toInfo(now));
  }

  register(input: NodeRegistration, reports: readonly AttemptReport[]): Reconciliation {
    const registration = checkRegistration(input);
    const { node, known } = this.#registry.upsert(registration, this.#clock.now());
    this.#links.nodeRegistered(node.id);
    this.#log.info(
      {
        nodeId: node.id,
        address: node.address,
        maxTasks: node.maxTasks,
        capabilities: registration.capabilities,
        reported: reports.length,
        known,
      },
      'node registered',
    );
    const result = this.#reconcile(node, reports);
    this.#kickIfSchedulable(node);
    return result;
  }

  /** Undefined when the master does not know the node: it must register again. */
  heartbeat(
    nodeId: string,
    reports: readonly AttemptReport[],
    draining: boolean,
  ): (Reconciliation & { draining: boolean }) | undefined {
    const node = this.#registry.get(nodeId);
    if (!node || node.health === 'LOST' || node.recovering) return undefined;
    const now = this.#clock.now();
    this.#registry.heard(node, now);
    this.#options.events?.heartbeatReceived(nodeId);
    if (node.health === 'UNHEALTHY') {
      this.#registry.recovered(node, now);
      const flaps = node.recentFlaps(now);
      // Alive all along, only late: more than once means the heartbeat settings fight.
      if (flaps > 1)
        this.#log.warn(
          { nodeId, flaps, heartbeatTimeoutMs: this.#options.heartbeatTimeoutMs },
          'node is healthy again; it flaps: its heartbeats come further apart than the heartbeat timeout',
        );
      else this.#log.info({ nodeId }, 'node is healthy again');
      this.#kickIfSchedulable(node);
    }
    if (draining && !node.draining) {
      this.#log.info({ nodeId }, 'node drains itself');
      this.#registry.drain(node, node.drainDeadlineMs);
    }
    return { ...this.#reconcile(node, reports), draining: node.draining };
  }

  /** The worker leaves. Attempts it still holds are handed back (they do not use up a retry). */
  deregister(nodeId: string): void {
    const node = this.#registry.get(nodeId);
    if (!node) return;
    this.#rescheduler.nodeLeft(node, 'worker deregistered while the attempt was running');
    this.#registry.delete(nodeId);
    this.#links.forgetNode(nodeId);
    this.#log.info({ nodeId }, 'node deregistered');
  }

  /**
   * The token these nodes registered with was revoked: they go at once, as
   * if they had deregistered, and are asked to kill what they run (their
   * worker is no longer trusted). It can come back with a valid token.
   */
  dropNodesOf(tokenName: string): void {
    for (const node of [...this.#registry.all()]) {
      if (node.tokenName !== tokenName) continue;
      this.#rescheduler.nodeLeft(node, `the token of node ${node.id} was revoked`, { stop: true });
      this.#registry.delete(node.id);
      this.#links.forgetNode(node.id);
      this.#log.warn({ nodeId: node.id, token: tokenName }, 'node dropped: its token was revoked');
    }
  }

  drain(nodeId: string, deadlineMs: number): NodeInfo {
    const node = this.#visibleNode(nodeId);
    this.#registry.drain(node, deadlineMs > 0 ? this.#clock.now() + deadlineMs : 0);
    this.#log.info({ nodeId, deadlineMs }, 'node draining');
    return node.toInfo(this.#clock.now());
  }

  undrain(nodeId: string): NodeInfo {
    const node = this.#visibleNode(nodeId);
    this.#registry.undrain(node);
    this.#log.info({ nodeId }, 'node back in service');
    this.#kickIfSchedulable(node);
    return node.toInfo(this.#clock.now());
  }

  #visibleNode(nodeId: string): NodeRecord {
    const node = this.#registry.get(nodeId);
    if (!node || node.recovering)
      throw new NotFoundError(`node ${nodeId} not found; \`dist-exec nodes\` lists the nodes`);
    return node;
  }

  #kickIfSchedulable(node: NodeRecord): void {
    if (node.schedulable && this.#cluster.queue.size > 0) this.#cluster.kick();
  }

  /**
   * Compares the worker's report (complete: everything it runs or holds
   * unacknowledged) with the master's view of the node.
   */
  #reconcile(node: NodeRecord, reports: readonly AttemptReport[]): Reconciliation {
    const ack: AttemptRef[] = [];
    const kill: AttemptRef[] = [];
    const reported = new Set<string>();
    for (const report of reports) {
      const ref = { jobId: report.jobId, attempt: report.attempt };
      const key = attemptKey(ref.jobId, ref.attempt);
      reported.add(key);
      const job = this.#cluster.currentJob(ref, node.id);
      if (job) {
        // Ours and still running in our view: make sure we hold it and hear from it.
        this.#registry.reserve(node, key, { cpu: job.spec.cpu, memoryBytes: job.spec.memoryBytes });
        if (!this.#links.isStreaming(ref)) this.#links.attach(ref, node);
      } else if (report.finished) {
        // Applied already, or stale: either way the worker may forget it.
        ack.push(ref);
        this.#cluster.release(ref, node.id);
      } else {
        kill.push(ref);
      }
    }
    for (const key of [...node.reservations.keys()]) {
      if (reported.has(key)) continue;
      const ref = parseAttemptKey(key);
      // An Execute in flight may not have reached the worker when it built its report.
      if (this.#links.isStreaming(ref)) continue;
      const job = this.#cluster.currentJob(ref, node.id);
      if (job) {
        const started = currentAttempt(job)?.startedAtMs != null;
        this.#cluster.attemptLost(
          ref,
          node.id,
          'WORKER_LOST',
          started
            ? `node ${node.id} no longer runs the attempt (did the worker restart?)`
            : `node ${node.id} never started the attempt`,
          !started,
        );
      }
      this.#cluster.release(ref, node.id);
    }
    return { ack, kill };
  }

  /** The master itself was stalled for `pausedMs` until `nowMs`: that silence is not the nodes' fault. */
  notePause(nowMs: number, pausedMs: number): void {
    this.#pauses.record(nowMs, pausedMs);
    this.#log.warn({ pausedMs }, 'the master was stalled; not counting that time against nodes');
  }

  /**
   * A probe proved the node's process is gone (its port refuses connections
   * and it has not heartbeated since): UNHEALTHY now, without waiting for the
   * heartbeat timeout. A heartbeat makes it healthy again, as usual.
   */
  markDown(nodeId: string, why: string): void {
    const node = this.#registry.get(nodeId);
    if (!node || node.health !== 'HEALTHY' || node.recovering) return;
    this.#registry.declareDown(node);
    this.#changeHealth(node, 'UNHEALTHY', why, this.#clock.now());
  }

  /** Re-derives every node's health from the time of its last heartbeat. */
  checkHealth(nowMs: number): void {
    for (const node of [...this.#registry.all()]) {
      const silentMs = this.#pauses.silenceSince(node.lastHeartbeatMs, nowMs);
      let health = healthAfter(silentMs, this.#options);
      if (health === 'HEALTHY' && node.declaredDown) health = 'UNHEALTHY';
      if (node.recovering) {
        if (health === 'LOST') {
          this.#rescheduler.nodeNeverReturned(
            node,
            `node ${node.id} did not come back within ${this.#options.nodeLostTimeoutMs}ms after the master restarted`,
          );
          this.#forget(node);
        }
        continue;
      }
      if (health !== node.health)
        this.#changeHealth(node, health, `node ${node.id} missed heartbeats for ${silentMs}ms`, nowMs);
      if (node.health === 'LOST' && silentMs >= this.#options.nodeLostTimeoutMs + this.#options.forgetLostAfterMs) {
        this.#forget(node);
      }
      if (node.draining && node.drainDeadlineMs > 0 && nowMs >= node.drainDeadlineMs) {
        this.#rescheduler.drainDeadlinePassed(node);
      }
    }
  }

  #changeHealth(node: NodeRecord, health: NodeHealth, why: string, nowMs: number): void {
    const before = node.health;
    this.#registry.setHealth(node, health);
    this.#log.warn(
      { nodeId: node.id, before, after: health, silentMs: nowMs - node.lastHeartbeatMs, why },
      'node health changed',
    );
    this.#rescheduler.healthChanged(node, health, why);
    if (health === 'LOST') this.#links.forgetNode(node.id);
  }

  #forget(node: NodeRecord): void {
    this.#registry.delete(node.id);
    this.#links.forgetNode(node.id);
    this.#log.info({ nodeId: node.id }, 'forgot lost node');
  }
}
