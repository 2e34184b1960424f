import { describe, expect, it } from 'vitest';
import { DEFAULT_BREAKER_OPTIONS, DispatchBreakers, Dispatcher, MemoryStore } from '@dist-exec/master';
import { FakeClock, testLogger } from '@dist-exec/testing';
import { masterCore, registration } from './helpers.js';

/** A store whose commits, once `holding`, never complete (a slow disk, frozen in time). */
class HeldStore extends MemoryStore {
  holding = false;

  override flush(): Promise<void> {
    return this.holding ? new Promise<void>(() => {}) : super.flush();
  }
}

describe('the write-ahead of a dispatch', () => {
  it('a heartbeat that does not list an attempt still being recorded does not lose it', async () => {
    const clock = new FakeClock();
    const logger = testLogger();
    const store = new HeldStore();
    let dispatcher!: Dispatcher;
    const { cluster, nodes } = masterCore({
      clock,
      store,
      maxQueue: 10,
      backoff: { baseMs: 1000, capMs: 1000 },
      links: ({ cluster, detector }) =>
        (dispatcher = new Dispatcher({
          cluster,
          store,
          clock,
          logger,
          dispatchTimeoutMs: 1000,
          callTimeoutMs: 1000,
          outputLimitBytes: 1024,
          killGraceMs: 100,
          breakers: new DispatchBreakers({
            registry: cluster.registry,
            clock,
            logger,
            breaker: DEFAULT_BREAKER_OPTIONS,
            kick: () => {},
          }),
          detector,
        })),
    });
    nodes.register(registration('w1', { address: '127.0.0.1:1' }), []);
    const [submitted] = await cluster.submit([{ command: 'true' }]);
    const job = submitted!.job;
    const node = cluster.registry.get('w1')!;
    const attempt = cluster.assign(cluster.queue.pop()!, node);
    // The commit of the attempt's record is still under way when the worker's heartbeat comes in, without it.
    store.holding = true;
    dispatcher.execute(job, attempt, node);
    expect(dispatcher.isStreaming({ jobId: job.id, attempt: 1 })).toBe(true);
    nodes.heartbeat('w1', [], false);

    const now = await cluster.getJob(job.id);
    expect(now).toMatchObject({ state: 'RUNNING', attempts: 1, workerId: 'w1' });
    dispatcher.stop();
    cluster.stop();
  });
});
