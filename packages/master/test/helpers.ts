import { expect } from 'vitest';
import { compileJobSpec, type Job, type JobSpecInput } from '@dist-exec/core';
import { NodeRecord, type NodeRegistration } from '@dist-exec/master';

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

let order = 0;
export function makeNode(id: string, overrides: Partial<NodeRegistration> = {}): NodeRecord {
  return new NodeRecord(registration(id, overrides), 0, order++);
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

export function applyNodeFlag(node: NodeRecord | undefined, op: NodeFlagOp): void {
  if (!node) return;
  if (op.op === 'drain') node.draining = op.on;
  else node.health = op.healthy ? 'HEALTHY' : 'UNHEALTHY';
}
