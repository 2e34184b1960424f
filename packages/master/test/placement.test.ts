import { describe, expect, it } from 'vitest';
import type { Job } from '@dist-exec/core';
import {
  createPolicy,
  NodeRegistry,
  place,
  PlacementIndex,
  POLICY_NAMES,
  RandomPolicy,
  type NodeRecord,
  type NodeRegistration,
  type Reservation,
} from '@dist-exec/master';
import { seededRandom } from '@dist-exec/testing';
import { makeJob, makeNode, registration, testNodes } from './helpers.js';

/**
 * A registry, and every placement made twice in lockstep: by the reference
 * `place()` over the node list and by the `PlacementIndex`, each with its own
 * instance of the policy. They must agree; the job is then reserved on the
 * node, as the scheduler does.
 */
function lockstep(policy: string, nodes: Array<[string, Partial<NodeRegistration>?]>) {
  const registry = new NodeRegistry();
  for (const [id, overrides] of nodes) registry.upsert(registration(id, overrides), 0);
  const reference = createPolicy(policy);
  const index = new PlacementIndex(registry, createPolicy(policy));
  let n = 0;
  const node = (id: string): NodeRecord => registry.get(id) as NodeRecord;
  const next = (job: Job = makeJob()): string => {
    const expected = place(job, registry.all(), reference);
    const got = index.place(job);
    expect(got?.id ?? 'none').toBe(expected.type === 'placed' ? expected.node.id : 'none');
    if (got) registry.reserve(got, `r${(n += 1)}`, { cpu: job.spec.cpu, memoryBytes: job.spec.memoryBytes });
    return got?.id ?? 'none';
  };
  return {
    registry,
    node,
    reserve: (id: string, key: string, reservation: Reservation) => registry.reserve(node(id), key, reservation),
    next,
    picks: (count: number, job?: () => Job) => Array.from({ length: count }, () => next(job?.())),
  };
}

describe('round-robin', () => {
  it('cycles through the nodes in registration order', () => {
    const c = lockstep('round-robin', [['a'], ['b'], ['c']]);
    expect(c.picks(7)).toEqual(['a', 'b', 'c', 'a', 'b', 'c', 'a']);
  });

  it('skips nodes that cannot take the job and resumes after the last pick', () => {
    const c = lockstep('round-robin', [['a'], ['b', { cpus: 1 }], ['c']]);
    expect(c.next()).toBe('a');
    expect(c.next(makeJob({ cpu: 2 }))).toBe('c');
    expect(c.next()).toBe('a');
    expect(c.next()).toBe('b');
  });
});

describe('weighted-round-robin', () => {
  it('gives each node jobs in proportion to its weight, interleaved', () => {
    const c = lockstep('weighted-round-robin', [
      ['a', { weight: 3, maxTasks: 100 }],
      ['b', { weight: 1, maxTasks: 100 }],
    ]);
    const index = new PlacementIndex(c.registry, createPolicy('weighted-round-robin'));
    // Not reserving: a stream of placements on idle nodes.
    const picks = Array.from({ length: 40 }, () => index.place(makeJob())?.id);
    expect(picks.filter((id) => id === 'a')).toHaveLength(30);
    expect(picks.join('')).not.toMatch(/aaaa|bb/);
  });

  it('a node that comes back from draining gets no burst beyond its share', () => {
    const registry = new NodeRegistry();
    for (const id of ['a', 'b']) registry.upsert(registration(id, { maxTasks: 1000 }), 0);
    const index = new PlacementIndex(registry, createPolicy('weighted-round-robin'));
    registry.drain(registry.get('b') as NodeRecord, 0);
    for (let i = 0; i < 100; i += 1) expect(index.place(makeJob())?.id).toBe('a');
    registry.undrain(registry.get('b') as NodeRecord);
    const picks = Array.from({ length: 10 }, () => index.place(makeJob())?.id).join('');
    expect(picks).not.toMatch(/bbb/);
  });
});

describe('least-connections', () => {
  it('picks the node running the fewest tasks, ties to the earliest registered', () => {
    const c = lockstep('least-connections', [['a'], ['b'], ['c']]);
    c.reserve('a', 'x/1', { cpu: 0, memoryBytes: 0 });
    c.reserve('a', 'y/1', { cpu: 0, memoryBytes: 0 });
    c.reserve('b', 'z/1', { cpu: 0, memoryBytes: 0 });
    expect(c.picks(4)).toEqual(['c', 'b', 'c', 'a']);
  });

  it('finds the earliest of equally loaded nodes even when a less loaded one after them does not fit', () => {
    // In the index, the range holding c (least loaded, too small) is searched first; a must still win the tie with d.
    const c = lockstep('least-connections', [
      ['a', { cpus: 4 }],
      ['b', { cpus: 4 }],
      ['c', { cpus: 1 }],
      ['d', { cpus: 4 }],
    ]);
    for (const id of ['a', 'b', 'd']) c.reserve(id, `${id}/1`, { cpu: 0, memoryBytes: 0 });
    expect(c.next(makeJob({ cpu: 2 }))).toBe('a');
  });

  it('skips the least loaded node when the job does not fit there', () => {
    const c = lockstep('least-connections', [
      ['a', { cpus: 1 }],
      ['b', { cpus: 8 }],
    ]);
    c.reserve('b', 'x/1', { cpu: 1, memoryBytes: 0 });
    expect(c.next(makeJob({ cpu: 2 }))).toBe('b');
  });
});

describe('first-fit', () => {
  it('fills the earliest registered node that fits before the next one', () => {
    const c = lockstep('first-fit', [['a', { cpus: 2 }], ['b', { cpus: 4 }], ['c']]);
    const job = (): Job => makeJob({ cpu: 1 });
    expect(c.picks(5, job)).toEqual(['a', 'a', 'b', 'b', 'b']);
    expect(c.next(makeJob({ cpu: 4 }))).toBe('c');
  });
});

describe('best-fit', () => {
  it('picks the node with the least left over after placement', () => {
    const c = lockstep('best-fit', [
      ['big', { cpus: 16, maxTasks: 16 }],
      ['small', { cpus: 4, maxTasks: 16 }],
    ]);
    c.reserve('small', 'x/1', { cpu: 2, memoryBytes: 0 });
    expect(c.next(makeJob({ cpu: 2 }))).toBe('small');
    expect(c.next(makeJob({ cpu: 1 }))).toBe('big');
  });

  it('packs slots when jobs request nothing', () => {
    const c = lockstep('best-fit', [['a'], ['b'], ['c']]);
    c.reserve('b', 'x/1', { cpu: 0, memoryBytes: 0 });
    expect(c.picks(4)).toEqual(['b', 'b', 'b', 'a']);
  });
});

describe('random', () => {
  it('draws uniformly among the feasible nodes only', () => {
    const registry = new NodeRegistry();
    for (const id of ['a', 'b', 'c', 'd'])
      registry.upsert(registration(id, { maxTasks: 10_000, cpus: id === 'd' ? 1 : 4 }), 0);
    const index = new PlacementIndex(registry, new RandomPolicy(seededRandom(42)));
    const counts: Record<string, number> = {};
    for (let i = 0; i < 3000; i += 1) {
      const id = index.place(makeJob({ cpu: 2 }))?.id ?? 'none';
      counts[id] = (counts[id] ?? 0) + 1;
    }
    expect(Object.keys(counts).sort()).toEqual(['a', 'b', 'c']);
    for (const id of ['a', 'b', 'c']) expect(counts[id]).toBeGreaterThan(850);
  });
});

describe('place', () => {
  it('never places on unhealthy, draining or full nodes, or nodes missing the executor or labels', () => {
    const unhealthy = makeNode('unhealthy');
    testNodes.setHealth(unhealthy, 'UNHEALTHY');
    const draining = makeNode('draining');
    testNodes.drain(draining, 0);
    const full = makeNode('full', { maxTasks: 1 });
    testNodes.reserve(full, 'j/1', { cpu: 0, memoryBytes: 0 });
    const noHttp = makeNode('no-http');
    const wrongZone = makeNode('zone-b', { capabilities: ['http'], labels: { zone: 'b' } });
    const good = makeNode('good', { capabilities: ['http'], labels: { zone: 'a' } });
    const job = makeJob({
      type: 'http',
      http: { url: 'http://x/', method: 'GET', headers: {}, body: new Uint8Array(), expectedStatus: [] },
      constraints: { zone: 'a' },
    });
    for (const name of POLICY_NAMES) {
      const result = place(job, [unhealthy, draining, full, noHttp, wrongZone, good], createPolicy(name));
      expect(result).toMatchObject({ type: 'placed', node: { id: 'good' } });
    }
  });

  it('explains why a job waits, and when no node could ever take it', () => {
    const policy = createPolicy('least-connections');
    expect(place(makeJob(), [], policy)).toEqual({ type: 'wait', reason: 'no worker is registered' });
    const busy = makeNode('busy', { maxTasks: 1 });
    testNodes.reserve(busy, 'j/1', { cpu: 0, memoryBytes: 0 });
    expect(place(makeJob(), [busy], policy)).toEqual({
      type: 'wait',
      reason: 'all task slots are busy (1 of 1 on 1 nodes)',
    });
    expect(place(makeJob({ cpu: 64 }), [makeNode('small', { cpus: 4 })], policy)).toEqual({
      type: 'never',
      reason: 'no node has 64 cpus; the largest has 4',
    });
    const half = makeNode('half', { cpus: 2 });
    testNodes.reserve(half, 'k/1', { cpu: 0.5, memoryBytes: 0 });
    expect(place(makeJob({ cpu: 2 }), [half], policy)).toEqual({
      type: 'wait',
      reason: 'waiting for 2 free cpus; the most free on a node is 1.5',
    });
    expect(place(makeJob({ memoryBytes: 2 ** 40 }), [makeNode('m', { memoryBytes: 2 ** 30 })], policy)).toEqual({
      type: 'never',
      reason: 'no node has 1Ti of memory; the largest has 1Gi',
    });
    expect(place(makeJob({ constraints: { gpu: 'true' } }), [makeNode('plain')], policy)).toEqual({
      type: 'never',
      reason: 'no node has the labels gpu=true',
    });
  });

  it('sends the retry of an attempt whose node was lost to another node when one fits', () => {
    const lost = { number: 1, nodeId: 'a', reason: 'WORKER_LOST' as const };
    const job = makeJob(
      {},
      {
        attemptHistory: [
          {
            ...lost,
            dispatchedAtMs: 0,
            startedAtMs: 0,
            finishedAtMs: 0,
            succeeded: false,
            exitCode: null,
            error: '',
            outputBase: 0,
            free: false,
          },
        ],
      },
    );
    const c = lockstep('first-fit', [['a'], ['b']]);
    expect(c.next(job)).toBe('b');
    const alone = lockstep('first-fit', [['a']]);
    expect(alone.next(job)).toBe('a');
  });

  it('rejects unknown policy names with the list of known ones', () => {
    expect(() => createPolicy('fastest')).toThrow(
      /round-robin, weighted-round-robin, least-connections, random, first-fit, best-fit/,
    );
  });
});

describe('resource accounting', () => {
  it('is exact: fractional cpus add up and release to zero', () => {
    const node = makeNode('a', { cpus: 1 });
    for (let i = 0; i < 10; i += 1) testNodes.reserve(node, `j${i}/1`, { cpu: 0.1, memoryBytes: 3 });
    expect(node.usedCpus).toBe(1);
    expect(node.freeMilliCpus).toBe(0);
    expect(node.usedMemoryBytes).toBe(30);
    for (let i = 0; i < 10; i += 1) testNodes.release(node, `j${i}/1`);
    expect(node.usedCpus).toBe(0);
    expect(node.usedMemoryBytes).toBe(0);
    expect(testNodes.release(node, 'j0/1')).toBe(false);
  });
});

describe('placement index', () => {
  it('follows nodes that join, change and leave after it was built', () => {
    const registry = new NodeRegistry();
    const index = new PlacementIndex(registry, createPolicy('first-fit'));
    expect(index.place(makeJob())).toBeUndefined();
    registry.upsert(registration('a', { maxTasks: 1 }), 0);
    registry.upsert(registration('b', { labels: { gpu: 'true' } }), 0);
    expect(index.freeSlots).toBe(5);
    expect(index.place(makeJob())?.id).toBe('a');
    registry.reserve(registry.get('a') as NodeRecord, 'x/1', { cpu: 0, memoryBytes: 0 });
    expect(index.place(makeJob())?.id).toBe('b');
    registry.setHealth(registry.get('b') as NodeRecord, 'UNHEALTHY');
    expect(index.place(makeJob())).toBeUndefined();
    expect(index.freeSlots).toBe(0);
    registry.setHealth(registry.get('b') as NodeRecord, 'HEALTHY');
    expect(index.place(makeJob({ constraints: { gpu: 'true' } }))?.id).toBe('b');
    registry.delete('b');
    expect(index.place(makeJob({ constraints: { gpu: 'true' } }))).toBeUndefined();
    expect(index.neverReason(makeJob({ constraints: { gpu: 'true' } }).spec)).toBe('no node has the labels gpu=true');
    registry.upsert(registration('b', { labels: { gpu: 'true' } }), 0);
    expect(index.neverReason(makeJob({ constraints: { gpu: 'true' } }).spec)).toBe('');
    expect(index.place(makeJob({ constraints: { gpu: 'true' } }))?.id).toBe('b');
  });

  it('stays exact as it grows past its first capacity and compacts after nodes leave', () => {
    const registry = new NodeRegistry();
    const policies = ['round-robin', 'least-connections', 'first-fit', 'best-fit'];
    const indexes = policies.map(
      (name) => [name, new PlacementIndex(registry, createPolicy(name)), createPolicy(name)] as const,
    );
    let r = 0;
    const check = (): void => {
      for (const [name, index, reference] of indexes) {
        const job = makeJob({ cpu: 0.5 });
        const expected = place(job, registry.all(), reference);
        expect(index.place(job)?.id ?? 'none', name).toBe(expected.type === 'placed' ? expected.node.id : 'none');
      }
    };
    for (let i = 0; i < 300; i += 1) {
      registry.upsert(registration(`n${i}`, { cpus: 1 + (i % 3) }), 0);
      if (i % 7 === 0) check();
    }
    for (let i = 0; i < 300; i += 1) {
      if (i % 5 !== 0) registry.delete(`n${i}`);
      else registry.reserve(registry.get(`n${i}`) as NodeRecord, `r${(r += 1)}`, { cpu: 0.5, memoryBytes: 0 });
      if (i % 11 === 0) check();
    }
    check();
    expect(indexes[0]?.[1].freeSlots).toBe(60 * 4 - 60);
  });
});
