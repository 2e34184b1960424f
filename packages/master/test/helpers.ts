import { expect } from 'vitest';
import { compileJobSpec, type AttemptRef, type BackoffOptions, type Job, type JobSpecInput } from '@dist-exec/core';
import {
  ClusterState,
  FailureDetector,
  MemoryStore,
  NodeManager,
  NodeRegistry,
  Rescheduler,
  RetryController,
  type AttemptLinks,
  type AttemptStopper,
  type FailureDetectorOptions,
  type NodeRecord,
  type NodeRegistration,
  type Store,
} from '@dist-exec/master';
import { FakeClock, testLogger } from '@dist-exec/testing';

let seq = 0;

/** A PENDING job built directly, for unit tests of queue and placement. */
export function makeJob(input: JobSpecInput = {}, overrides: Partial<Job> = {}): Job {
  seq += 1;
  return {
    id: `job-${seq}`,
    seq,
    spec: compileJobSpec({ command: 'true', ...input }),
    state: 'PENDING',
    reason: null,
    exitCode: null,
    error: '',
    workerId: null,
    attempts: 0,
    createdAtMs: 0,
    startedAtMs: null,
    finishedAtMs: null,
    pendingReason: '',
    attemptHistory: [],
    httpResult: null,
    outputLength: 0,
    stdoutDroppedBytes: 0,
    stderrDroppedBytes: 0,
    notBeforeMs: 0,
    submittedBy: 'test',
    cancelledBy: '',
    ...overrides,
  };
}

export function registration(id: string, overrides: Partial<NodeRegistration> = {}): NodeRegistration {
  return {
    id,
    address: `127.0.0.1:${10_000 + id.length}`,
    capabilities: ['command'],
    maxTasks: 4,
    labels: {},
    cpus: 4,
    memoryBytes: 8 * 1024 ** 3,
    weight: 1,
    version: 'test',
    draining: false,
    executionSecret: '',
    tokenName: 'workers',
    ...overrides,
  };
}

/**
 * The registry behind `makeNode`: nodes for tests of placement and breakers
 * that need no cluster around them. A node made again under the same id
 * replaces the earlier one; registration order grows across all of them.
 */
export const testNodes = new NodeRegistry();

export function makeNode(id: string, overrides: Partial<NodeRegistration> = {}): NodeRecord {
  testNodes.delete(id);
  return testNodes.upsert(registration(id, overrides), 0).node;
}

/** No node holds more than it has: slots, cpu and memory, and its totals match its reservations. */
export function checkNotOvercommitted(nodes: Iterable<NodeRecord>): void {
  for (const node of nodes) {
    expect(node.activeTasks).toBeLessThanOrEqual(node.maxTasks);
    if (node.milliCpus > 0) expect(node.usedMilliCpus).toBeLessThanOrEqual(node.milliCpus);
    if (node.memoryBytes > 0) expect(node.usedMemoryBytes).toBeLessThanOrEqual(node.memoryBytes);
    let cpu = 0;
    let memory = 0;
    for (const r of node.reservations.values()) {
      cpu += Math.round(r.cpu * 1000);
      memory += r.memoryBytes;
    }
    expect(node.usedMilliCpus).toBe(cpu);
    expect(node.usedMemoryBytes).toBe(memory);
  }
}

/** Node changes both property tests draw: drain on or off, health flipped. */
export type NodeFlagOp = { op: 'drain'; pick: number; on: boolean } | { op: 'health'; pick: number; healthy: boolean };

export function applyNodeFlag(registry: NodeRegistry, node: NodeRecord | undefined, op: NodeFlagOp): void {
  if (!node) return;
  if (op.op === 'drain') {
    if (op.on) registry.drain(node, 0);
    else registry.undrain(node);
  } else registry.setHealth(node, op.healthy ? 'HEALTHY' : 'UNHEALTHY');
}

/** What a unit test of the core has instead of a dispatcher: attaches and stops are only recorded. */
export interface RecordedLinks extends AttemptLinks, AttemptStopper {
  attached: AttemptRef[];
  /** `jobId/attempt@nodeId` of every attempt asked to stop. */
  stopped: string[];
}

export function recordedLinks(): RecordedLinks {
  const attached: AttemptRef[] = [];
  const stopped: string[] = [];
  return {
    attached,
    stopped,
    isStreaming: () => false,
    attach: (ref) => void attached.push(ref),
    forgetNode: () => {},
    nodeRegistered: () => {},
    stopAttempt: (ref, nodeId) => void stopped.push(`${ref.jobId}/${ref.attempt}@${nodeId}`),
  };
}

export interface CoreOptions {
  clock?: FakeClock;
  store?: Store;
  maxQueue?: number;
  backoff?: BackoffOptions;
  random?: () => number;
  nodeLostTimeoutMs?: number;
  probe?: FailureDetectorOptions['probe'];
  /** What stands in the dispatcher's place (built once the state and the detector are); recorded links by default. */
  links?: (parts: { cluster: ClusterState; detector: FailureDetector }) => AttemptLinks & AttemptStopper;
}

/**
 * The master's core on a fake clock, wired as the Master wires it: node
 * registry, cluster state (with retries), failure detector, rescheduler and
 * node manager; heartbeat every 5 s, UNHEALTHY after 15 s, LOST after 60 s.
 */
export function masterCore(options: CoreOptions = {}) {
  const clock = options.clock ?? new FakeClock();
  const logger = testLogger();
  const registry = new NodeRegistry();
  const cluster = new ClusterState({
    store: options.store ?? new MemoryStore(),
    registry,
    retries: new RetryController({
      clock,
      backoff: options.backoff ?? { baseMs: 1000, capMs: 10_000 },
      ...(options.random ? { random: options.random } : {}),
    }),
    clock,
    logger,
    limits: {},
    maxQueue: options.maxQueue ?? 100,
  });
  const detector = new FailureDetector({
    registry,
    clock,
    logger,
    // A probe that never answers unless the test scripts one.
    probe: options.probe ?? (() => new Promise(() => {})),
    probeTimeoutMs: 1000,
    probeIntervalMs: 5000,
    kick: () => cluster.kick(),
  });
  const recorded = recordedLinks();
  const links = options.links ? options.links({ cluster, detector }) : recorded;
  const timeouts = { heartbeatTimeoutMs: 15_000, nodeLostTimeoutMs: options.nodeLostTimeoutMs ?? 60_000 };
  const nodes = new NodeManager({
    cluster,
    registry,
    links,
    rescheduler: new Rescheduler({ cluster, registry, stopper: links, logger, rescheduleOn: 'unhealthy', ...timeouts }),
    detector,
    clock,
    logger,
    heartbeatIntervalMs: 5000,
    ...timeouts,
    forgetLostAfterMs: 3_600_000,
  });
  return { clock, logger, registry, cluster, detector, nodes, links, recorded };
}
