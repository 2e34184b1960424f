import { performance } from 'node:perf_hooks';
import { systemClock } from '@dist-exec/core';
import {
  ClusterState,
  createPolicy,
  MemoryStore,
  NodeRegistry,
  POLICY_NAMES,
  RetryController,
  Scheduler,
} from '@dist-exec/master';
import { attemptResult, seededRandom, testLogger } from '@dist-exec/testing';
import { jobSpec, nodeRegistration, placementCost } from '../placement-run.js';
import { round, type Figure, type Scenario } from '../scenario.js';
import { RunShare } from '../thread-cpu.js';

const NODE_COUNTS = [100, 1000, 10_000];
const QUEUED_JOBS = 100_000;
/** Placements per timed run of the placement loop, the untimed warm-up run before them, and how many timed runs (the best counts). */
const PLACEMENTS = 200_000;
const PLACEMENT_WARMUP = 50_000;
const PLACEMENT_REPEATS = 5;
/** Steady-state passes after the first fills the cluster: WARMUP_PASSES untimed (the JIT settles), then STEADY_PASSES timed. */
const WARMUP_PASSES = 5000;
const STEADY_PASSES = 20_000;
/** Jobs arrive as they finish, in batches of this many, so the queue stays near QUEUED_JOBS. */
const TOP_UP = 1000;
/** Policies the issue sets a target for. */
const TARGETED = new Set(['round-robin', 'least-connections', 'first-fit']);

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
async function schedulerRun(
  policyName: string,
  nodes: number,
): Promise<{ perSecond: number; usPerDecision: number; share: number }> {
  const random = seededRandom(nodes);
  const cluster = new ClusterState({
    store: new MemoryStore(),
    registry: new NodeRegistry(),
    retries: new RetryController({ clock: systemClock, backoff: { baseMs: 1000, capMs: 60_000 } }),
    clock: systemClock,
    logger: testLogger(),
    limits: {},
    maxQueue: QUEUED_JOBS * 2,
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
 * Two measurements per policy and node count. The scheduler's decisions/s
 * come from the full run in this process (`schedulerRun`: queue, blocked
 * classes, passes, garbage and all). The placement cost, and its growth
 * from 100 to 10,000 nodes, is the placement call alone (`placementCost`):
 * measured first, in a worker thread with its own heap, after a warm-up run,
 * best of five; so it is not charged for collecting what an earlier
 * scheduler run of 100,000 jobs left in this heap, which grows with nothing
 * placement does.
 */
export const scheduler: Scenario = {
  name: 'scheduler',
  description: `placement decisions/s with ${NODE_COUNTS.join(', ')} nodes and ${QUEUED_JOBS} queued jobs, per policy (in process, no gRPC)`,
  async run(context): Promise<Figure[]> {
    const figures: Figure[] = [];
    for (const policy of POLICY_NAMES) {
      const costs = new Map<number, number>();
      for (const nodes of NODE_COUNTS) {
        // Placement first, in a worker thread with a heap of its own (see placementCost).
        const cost = await placementCost({
          policy,
          nodes,
          placements: PLACEMENTS,
          warmup: PLACEMENT_WARMUP,
          repeats: PLACEMENT_REPEATS,
          linearPlacements: Math.max(2000, Math.floor(PLACEMENTS / Math.max(1, nodes / 100))),
        });
        const { perSecond, usPerDecision, share } = await schedulerRun(policy, nodes);
        figures.push({
          name: `scheduler.${policy}.${nodes}-nodes`,
          value: round(perSecond, 0),
          unit: 'decisions/s',
          ...(TARGETED.has(policy) && nodes === 1000 ? { target: '>= 50000' } : {}),
          params: {
            nodes,
            queued: QUEUED_JOBS,
            passes: STEADY_PASSES,
            warmup: WARMUP_PASSES,
            usPerDecision: round(usPerDecision, 2),
            ranShare: round(share, 2),
          },
        });
        costs.set(nodes, cost.indexed);
        figures.push({
          name: `placement.${policy}.${nodes}-nodes`,
          value: round(cost.indexed, 3),
          unit: 'us/decision',
          baseline: { name: 'linear scan', value: round(cost.linear, 3) },
          params: {
            nodes,
            placements: PLACEMENTS,
            warmup: PLACEMENT_WARMUP,
            runs: cost.runs.map((us) => round(us, 3)).join('/'),
            heap: 'own worker',
          },
        });
        context.log(
          `${policy} ${nodes} nodes: ${round(perSecond, 0)} decisions/s in passes; placement ${round(cost.indexed, 3)}us indexed (runs ${cost.runs.map((us) => round(us, 3)).join(', ')}), ${round(cost.linear, 3)}us scanning`,
        );
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
