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
    ...overrides,
  };
}

let order = 0;
export function makeNode(id: string, overrides: Partial<NodeRegistration> = {}): NodeRecord {
  return new NodeRecord(registration(id, overrides), 0, order++);
}
