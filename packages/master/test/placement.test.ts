import { describe, expect, it } from 'vitest';
import { LeastConnectionsPolicy, place, RoundRobinPolicy, createPolicy } from '@dist-exec/master';
import { makeJob, makeNode } from './helpers.js';

describe('round-robin', () => {
  it('cycles through feasible nodes in registration order', () => {
    const nodes = [makeNode('a'), makeNode('b'), makeNode('c')];
    const policy = new RoundRobinPolicy();
    const picks = Array.from({ length: 7 }, () => policy.pick(makeJob(), nodes).id);
    expect(picks).toEqual(['a', 'b', 'c', 'a', 'b', 'c', 'a']);
  });

  it('skips nodes that cannot take the job and resumes after the last pick', () => {
    const policy = new RoundRobinPolicy();
    const [a, b, c] = [makeNode('a'), makeNode('b'), makeNode('c')];
    expect(policy.pick(makeJob(), [a!, b!, c!]).id).toBe('a');
    expect(policy.pick(makeJob(), [a!, c!]).id).toBe('c');
    expect(policy.pick(makeJob(), [a!, b!, c!]).id).toBe('a');
  });
});

describe('least-connections', () => {
  it('picks the node running the fewest tasks', () => {
    const [a, b, c] = [makeNode('a'), makeNode('b'), makeNode('c')];
    a!.reserve('x/1', { cpu: 0, memoryBytes: 0 });
    a!.reserve('y/1', { cpu: 0, memoryBytes: 0 });
    c!.reserve('z/1', { cpu: 0, memoryBytes: 0 });
    expect(new LeastConnectionsPolicy().pick(makeJob(), [a!, b!, c!]).id).toBe('b');
  });
});

describe('place', () => {
  it('never places on unhealthy, draining or full nodes, or nodes missing the executor or labels', () => {
    const unhealthy = makeNode('unhealthy');
    unhealthy.health = 'UNHEALTHY';
    const draining = makeNode('draining');
    draining.draining = true;
    const full = makeNode('full', { maxTasks: 1 });
    full.reserve('j/1', { cpu: 0, memoryBytes: 0 });
    const noHttp = makeNode('no-http');
    const wrongZone = makeNode('zone-b', { capabilities: ['http'], labels: { zone: 'b' } });
    const good = makeNode('good', { capabilities: ['http'], labels: { zone: 'a' } });
    const job = makeJob({ type: 'http', http: { url: 'http://x/', method: 'GET', headers: {}, body: new Uint8Array(), expectedStatus: [] }, constraints: { zone: 'a' } });
    const result = place(job, [unhealthy, draining, full, noHttp, wrongZone, good], createPolicy('round-robin'));
    expect(result).toMatchObject({ type: 'placed', node: { id: 'good' } });
  });

  it('explains why a job waits, and when no node could ever take it', () => {
    const policy = createPolicy('least-connections');
    expect(place(makeJob(), [], policy)).toEqual({ type: 'wait', reason: 'no worker is registered' });
    const busy = makeNode('busy', { maxTasks: 1 });
    busy.reserve('j/1', { cpu: 0, memoryBytes: 0 });
    expect(place(makeJob(), [busy], policy)).toMatchObject({ type: 'wait', reason: expect.stringMatching(/slots are busy/) });
    expect(place(makeJob({ cpu: 64 }), [makeNode('small', { cpus: 4 })], policy)).toEqual({
      type: 'never',
      reason: 'no node has 64 cpus; the largest has 4',
    });
    expect(place(makeJob({ constraints: { gpu: 'true' } }), [makeNode('plain')], policy)).toMatchObject({ type: 'never' });
  });

  it('rejects unknown policy names with the list of known ones', () => {
    expect(() => createPolicy('fastest')).toThrow(/round-robin, least-connections/);
  });
});
