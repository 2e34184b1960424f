import { performance } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { compileJobSpec, type Job, type JobSpecInput } from '@dist-exec/core';
import {
  createPolicy,
  NodeRegistry,
  place,
  PlacementIndex,
  type NodeRecord,
  type NodeRegistration,
} from '@dist-exec/master';
import { seededRandom } from '@dist-exec/testing';
import { RunShare } from './thread-cpu.js';

/** The scheduler benchmark's cluster: every node alike but for its zone label and weight. */
export const SLOTS = 4;
const CPUS = 4;
const MEMORY = 16 * 1024 ** 3;

export function nodeRegistration(i: number): NodeRegistration {
  return {
    id: `node-${i}`,
    address: `10.${(i >> 8) & 255}.${i & 255}.1:50052`,
    capabilities: ['command'],
    maxTasks: SLOTS,
    labels: { zone: i % 2 === 0 ? 'a' : 'b' },
    cpus: CPUS,
    memoryBytes: MEMORY,
    weight: 1 + (i % 3),
    version: 'bench',
    executionSecret: '',
    tokenName: 'bench',
    draining: false,
  };
}

/** A mix of cpu and memory requests, one job in ten pinned to zone a: 18 requirement classes. */
export function jobSpec(random: () => number): JobSpecInput {
  return {
    command: 'true',
    cpu: [0.5, 1, 2][Math.floor(random() * 3)] as number,
    memoryBytes: ([256, 1024, 2048][Math.floor(random() * 3)] as number) * 1024 ** 2,
    constraints: random() < 0.1 ? { zone: 'a' } : {},
  };
}

/**
 * Placement alone: place a job, reserve it, release a random running one,
 * with the cluster about half full; only the time inside the placement call
 * counts (for the index, that includes bringing the nodes changed since the
 * last call up to date), scaled by the share of the loop the thread ran (see
 * RunShare). `indexed` uses the PlacementIndex (what the scheduler runs);
 * otherwise the reference `place()`, a scan of every node. Microseconds per
 * decision.
 */
export function placementRun(policyName: string, nodes: number, indexed: boolean, placements: number): number {
  const random = seededRandom(nodes + 1);
  const registry = new NodeRegistry();
  for (let i = 0; i < nodes; i += 1) registry.upsert(nodeRegistration(i), 0);
  const policy = createPolicy(policyName, { random });
  const index = indexed ? new PlacementIndex(registry, policy) : undefined;
  const jobs: Job[] = Array.from(
    { length: 1024 },
    (_, i) => ({ id: `job-${i}`, seq: i, spec: compileJobSpec(jobSpec(random)), attemptHistory: [] }) as unknown as Job,
  );
  const running: Array<{ node: NodeRecord; key: string }> = [];
  const target = Math.floor((nodes * SLOTS) / 2);
  let n = 0;
  let elapsed = 0;
  const run = new RunShare();
  run.start();
  for (let i = 0; i < placements; i += 1) {
    const job = jobs[i & 1023] as Job;
    const start = performance.now();
    const node = index
      ? index.place(job)
      : ((p) => (p.type === 'placed' ? p.node : undefined))(place(job, registry.all(), policy));
    elapsed += performance.now() - start;
    if (node) {
      const key = `r${(n += 1)}`;
      registry.reserve(node, key, { cpu: job.spec.cpu, memoryBytes: job.spec.memoryBytes });
      running.push({ node, key });
    }
    if (running.length > target || (!node && running.length > 0)) {
      const at = Math.floor(random() * running.length);
      const done = running[at] as (typeof running)[number];
      running[at] = running[running.length - 1] as (typeof running)[number];
      running.pop();
      registry.release(done.node, done.key);
    }
  }
  elapsed *= run.share();
  return (elapsed * 1000) / placements;
}

export interface PlacementCost {
  /** Through the index: the best of `repeats` runs, each after the same warm-up. */
  indexed: number;
  /** Every indexed run, in order. */
  runs: number[];
  /** The reference linear scan (one run). */
  linear: number;
}

interface Request {
  placementCost: {
    policy: string;
    nodes: number;
    placements: number;
    warmup: number;
    repeats: number;
    linearPlacements: number;
  };
}

/**
 * Runs the placement loop in a fresh worker thread: its own V8 heap, so the
 * figure holds placement alone, not the garbage a scheduler run left behind
 * in the benchmark's heap. `warmup` placements (a run of their own, on a
 * cluster of the same size) let the JIT settle before the timed runs; the
 * best of `repeats` runs is the figure, the usual way to read a
 * micro-benchmark on a machine that other work interrupts.
 */
export function placementCost(request: Request['placementCost']): Promise<PlacementCost> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: { placementCost: request } satisfies Request });
    let answer: PlacementCost | undefined;
    worker.once('message', (message: PlacementCost) => (answer = message));
    worker.once('error', reject);
    worker.once('exit', (code) =>
      answer ? resolve(answer) : reject(new Error(`placement worker exited with code ${code} and no answer`)),
    );
  });
}

function measure({
  policy,
  nodes,
  placements,
  warmup,
  repeats,
  linearPlacements,
}: Request['placementCost']): PlacementCost {
  placementRun(policy, nodes, true, warmup);
  const runs: number[] = [];
  for (let i = 0; i < repeats; i += 1) runs.push(placementRun(policy, nodes, true, placements));
  const linear = placementRun(policy, nodes, false, linearPlacements);
  return { indexed: Math.min(...runs), runs, linear };
}

if (!isMainThread && (workerData as Partial<Request> | undefined)?.placementCost) {
  parentPort?.postMessage(measure((workerData as Request).placementCost));
}
