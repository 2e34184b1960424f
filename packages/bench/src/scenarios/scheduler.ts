import { performance } from 'node:perf_hooks';
import { compileJobSpec, systemClock, type Job, type JobSpecInput } from '@dist-exec/core';
import {
  ClusterState,
  createPolicy,
  MemoryStore,
  NodeRegistry,
  place,
  PlacementIndex,
  POLICY_NAMES,
  Scheduler,
  type NodeRecord,
  type NodeRegistration,
} from '@dist-exec/master';
import { attemptResult, seededRandom, testLogger } from '@dist-exec/testing';
import { round, type Figure, type Scenario } from '../scenario.js';
import { RunShare } from '../thread-cpu.js';

const NODE_COUNTS = [100, 1000, 10_000];
const QUEUED_JOBS = 100_000;
const SLOTS = 4;
const CPUS = 4;
const MEMORY = 16 * 1024 ** 3;
const PLACEMENTS = 200_000;
/** Steady-state passes after the first fills the cluster: WARMUP_PASSES untimed (the JIT settles), then STEADY_PASSES timed. */
const WARMUP_PASSES = 5000;
const STEADY_PASSES = 20_000;
/** Jobs arrive as they finish, in batches of this many, so the queue stays near QUEUED_JOBS. */
const TOP_UP = 1000;
/** Policies the issue sets a target for. */
const TARGETED = new Set(['round-robin', 'least-connections', 'first-fit']);


function nodeRegistration(i: number): NodeRegistration {
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
    draining: false,
  };
}

/** A mix of cpu and memory requests, one job in ten pinned to zone a: 18 requirement classes. */
function jobSpec(random: () => number): JobSpecInput {
  return {
    command: 'true',
    cpu: [0.5, 1, 2][Math.floor(random() * 3)] as number,
    memoryBytes: [256, 1024, 2048][Math.floor(random() * 3)] as number * 1024 ** 2,
    constraints: random() < 0.1 ? { zone: 'a' } : {},
  };
}

/**
 * The scheduler as the master runs it, in process: a real ClusterState with
 * the memory store, `QUEUED_JOBS` queued jobs, and scheduler passes. After
 * the first pass fills the cluster, each pass follows one finished job (the
 * event-driven steady state: a pass per completion, the worst case for
 * per-pass overhead), and new jobs arrive as fast as jobs finish, so about
 * `QUEUED_JOBS` stay queued. Only time inside the timed passes counts,
 * scaled by the share of the loop this thread was on a cpu (see RunShare):
 * on a busy machine the figure is what one free core would do.
 */
async function schedulerRun(policyName: string, nodes: number): Promise<{ perSecond: number; usPerDecision: number; share: number }> {
  const random = seededRandom(nodes);
  const cluster = new ClusterState({
    store: new MemoryStore(),
    clock: systemClock,
    logger: testLogger(),
    limits: {},
    maxQueue: QUEUED_JOBS * 2,
    backoff: { baseMs: 1000, capMs: 60_000 },
  });
  for (let i = 0; i < nodes; i += 1) cluster.registry.upsert(nodeRegistration(i), systemClock.now());
  const running: Array<{ jobId: string; attempt: number; nodeId: string }> = [];
  const scheduler = new Scheduler({
    cluster,
    policy: createPolicy(policyName, { random }),
    clock: systemClock,
    logger: testLogger(),
    dispatch: (job, attempt, node) => running.push({ jobId: job.id, attempt: attempt.number, nodeId: node.id }),
  });
  for (let done = 0; done < QUEUED_JOBS; done += 10_000) {
    await cluster.submit(Array.from({ length: 10_000 }, () => jobSpec(random)));
  }
  let decisions = 0;
  let elapsed = 0;
  const run = new RunShare();
  for (let pass = 0; pass <= WARMUP_PASSES + STEADY_PASSES; pass += 1) {
    if (pass === WARMUP_PASSES + 1) run.start();
    const start = performance.now();
    const placed = scheduler.pass();
    if (pass > WARMUP_PASSES) {
      elapsed += performance.now() - start;
      decisions += placed;
    }
    if (running.length === 0) throw new Error(`nothing placed with ${cluster.queue.size} jobs queued`);
    if (pass % TOP_UP === TOP_UP - 1) await cluster.submit(Array.from({ length: TOP_UP }, () => jobSpec(random)));
    const at = Math.floor(random() * running.length);
    const done = running[at] as (typeof running)[number];
    running[at] = running[running.length - 1] as (typeof running)[number];
    running.pop();
    cluster.attemptFinished({ jobId: done.jobId, attempt: done.attempt }, done.nodeId, attemptResult());
  }
  const share = run.share();
  elapsed *= share;
  cluster.stop();
  return { perSecond: decisions / (elapsed / 1000), usPerDecision: (elapsed * 1000) / decisions, share };
}

/**
 * Placement alone: place a job, reserve it, release a random running one,
 * with the cluster about half full; only the time inside the placement call
 * counts (for the index, that includes bringing the nodes changed since the
 * last call up to date). `indexed` uses the PlacementIndex (what
 * the scheduler runs); otherwise the reference `place()`, a scan of every node.
 */
function placementRun(policyName: string, nodes: number, indexed: boolean, placements: number): number {
  const random = seededRandom(nodes + 1);
  const registry = new NodeRegistry();
  for (let i = 0; i < nodes; i += 1) registry.upsert(nodeRegistration(i), 0);
  const policy = createPolicy(policyName, { random });
  const index = indexed ? new PlacementIndex(registry, policy) : undefined;
  const jobs: Job[] = Array.from({ length: 1024 }, (_, i) => ({ id: `job-${i}`, seq: i, spec: compileJobSpec(jobSpec(random)), attemptHistory: [] }) as unknown as Job);
  const running: Array<{ node: NodeRecord; key: string }> = [];
  const target = Math.floor((nodes * SLOTS) / 2);
  let n = 0;
  let elapsed = 0;
  const run = new RunShare();
  run.start();
  for (let i = 0; i < placements; i += 1) {
    const job = jobs[i & 1023] as Job;
    const start = performance.now();
    const node = index ? index.place(job) : ((p) => (p.type === 'placed' ? p.node : undefined))(place(job, registry.all(), policy));
    elapsed += performance.now() - start;
    if (node) {
      const key = `r${(n += 1)}`;
      node.reserve(key, { cpu: job.spec.cpu, memoryBytes: job.spec.memoryBytes });
      running.push({ node, key });
    }
    if (running.length > target || (!node && running.length > 0)) {
      const at = Math.floor(random() * running.length);
      const done = running[at] as (typeof running)[number];
      running[at] = running[running.length - 1] as (typeof running)[number];
      running.pop();
      done.node.release(done.key);
    }
  }
  elapsed *= run.share();
  index?.close();
  return (elapsed * 1000) / placements;
}

export const scheduler: Scenario = {
  name: 'scheduler',
  description: `placement decisions/s with ${NODE_COUNTS.join(', ')} nodes and ${QUEUED_JOBS} queued jobs, per policy (in process, no gRPC)`,
  async run(context): Promise<Figure[]> {
    const figures: Figure[] = [];
    for (const policy of POLICY_NAMES) {
      const costs = new Map<number, number>();
      for (const nodes of NODE_COUNTS) {
        const { perSecond, usPerDecision, share } = await schedulerRun(policy, nodes);
        figures.push({
          name: `scheduler.${policy}.${nodes}-nodes`,
          value: round(perSecond, 0),
          unit: 'decisions/s',
          ...(TARGETED.has(policy) && nodes === 1000 ? { target: '>= 50000' } : {}),
          params: { nodes, queued: QUEUED_JOBS, passes: STEADY_PASSES, warmup: WARMUP_PASSES, usPerDecision: round(usPerDecision, 2), ranShare: round(share, 2) },
        });
        const indexed = placementRun(policy, nodes, true, PLACEMENTS);
        const linear = placementRun(policy, nodes, false, Math.max(2000, Math.floor(PLACEMENTS / Math.max(1, nodes / 100))));
        costs.set(nodes, indexed);
        figures.push({
          name: `placement.${policy}.${nodes}-nodes`,
          value: round(indexed, 3),
          unit: 'us/decision',
          baseline: { name: 'linear scan', value: round(linear, 3) },
          params: { nodes },
        });
        context.log(`${policy} ${nodes} nodes: ${round(perSecond, 0)} decisions/s in passes; placement ${round(indexed, 3)}us indexed, ${round(linear, 3)}us scanning`);
      }
      const growth = (costs.get(10_000) as number) / (costs.get(100) as number);
      figures.push({
        name: `placement.${policy}.cost-10000-vs-100-nodes`,
        value: round(growth, 2),
        unit: 'x',
        ...(TARGETED.has(policy) ? { target: '<= 2 (log growth: log 10000 / log 100)' } : {}),
      });
    }
    return figures;
  },
};
