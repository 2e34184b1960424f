import { describe, expect, it } from 'vitest';
import { Fence } from '@dist-exec/worker';
import { FakeClock, testLogger } from '@dist-exec/testing';

function setup(afterMs: number) {
  const clock = new FakeClock();
  const events: string[] = [];
  const fence = new Fence({
    clock,
    logger: testLogger(),
    afterMs,
    onFence: (silentMs) => events.push(`fence after ${silentMs}ms`),
    onRestored: () => events.push('restored'),
  });
  return { clock, fence, events };
}

describe('Fence', () => {
  it('fires once the master has been silent for afterMs since the last contact', () => {
    const { clock, fence, events } = setup(20_000);
    fence.contact();
    clock.advance(15_000);
    fence.contact(); // a heartbeat got through: the fence moves back
    clock.advance(19_999);
    expect(events).toEqual([]);
    expect(fence.fenced).toBe(false);
    clock.advance(1);
    expect(events).toEqual(['fence after 20000ms']);
    expect(fence.fenced).toBe(true);
    // It fires once per outage, not again while the master stays away.
    clock.advance(60_000);
    expect(events).toHaveLength(1);
  });

  it('is restored by the next contact and armed again', () => {
    const { clock, fence, events } = setup(1000);
    fence.contact();
    clock.advance(1000);
    fence.contact();
    expect(fence.fenced).toBe(false);
    clock.advance(1000);
    expect(events).toEqual(['fence after 1000ms', 'restored', 'fence after 1000ms']);
  });

  it('is not armed before the first contact: a worker that never registered runs nothing', () => {
    const { clock, events } = setup(1000);
    clock.advance(10_000);
    expect(events).toEqual([]);
  });

  it('never fires when disabled (the default: keep running, like Nomad and the kubelet)', () => {
    const { clock, fence, events } = setup(0);
    fence.contact();
    clock.advance(3_600_000);
    expect(fence.enabled).toBe(false);
    expect(events).toEqual([]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('does nothing after stop', () => {
    const { clock, fence, events } = setup(1000);
    fence.contact();
    fence.stop();
    clock.advance(5000);
    expect(events).toEqual([]);
  });
});
