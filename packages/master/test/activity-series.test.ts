import { describe, expect, it } from 'vitest';
import { FakeClock } from '@dist-exec/testing';
import { ActivitySeries, MasterEvents, type ActivitySample } from '@dist-exec/master';
import { makeJob } from './helpers.js';

describe('ActivitySeries (the dashboard charts over the last 15 minutes)', () => {
  const setup = (windowMs = 15 * 60_000) => {
    // On a second boundary, so bucket arithmetic is easy to read.
    const clock = new FakeClock(1_700_000_000_000);
    const events = new MasterEvents();
    const gauges: ActivitySample = { queued: 0, slotsUsed: 0, slotsTotal: 8 };
    const series = new ActivitySeries({ clock, events, sample: () => ({ ...gauges }), windowMs });
    series.start();
    return { clock, events, gauges, series };
  };
  const job = (state: 'COMPLETED' | 'FAILED' | 'CANCELLED') => makeJob({}, { state });
  const attempt = { number: 1 } as never;

  it('counts starts, completions and failures into the second they happened, and samples the gauges each second', () => {
    const { clock, events, gauges, series } = setup();
    events.attemptStarted(job('COMPLETED'), attempt, 0);
    events.attemptStarted(job('COMPLETED'), attempt, 0);
    clock.advance(1_000);
    gauges.queued = 5;
    gauges.slotsUsed = 3;
    events.jobFinished(job('COMPLETED'));
    events.jobFinished(job('FAILED'));
    events.jobFinished(job('CANCELLED'));
    clock.advance(1_000);
    const json = series.toJson();
    expect(json.started).toHaveLength(900);
    expect(json.fromMs).toBe(clock.now() - 899_000);
    expect(json.started.slice(-3)).toEqual([2, 0, 0]);
    expect(json.completed.slice(-3)).toEqual([0, 1, 0]);
    expect(json.failed.slice(-3)).toEqual([0, 1, 0]);
    // Sampled at the start of each second: the change shows from the second after it.
    expect(json.queued.slice(-3)).toEqual([0, 0, 5]);
    expect(json.slotsUsed.slice(-3)).toEqual([0, 0, 3]);
    expect(json.slotsTotal.slice(-3)).toEqual([8, 8, 8]);
    // Before the series started: no sample, not a zero.
    expect(json.queued[0]).toBeNull();
  });

  it('forgets what is older than the window, holding a fixed number of buckets', () => {
    const { clock, events, series } = setup(10_000);
    events.attemptStarted(job('COMPLETED'), attempt, 0);
    clock.advance(9_000);
    expect(series.toJson().started).toEqual([1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    clock.advance(1_000);
    events.attemptStarted(job('COMPLETED'), attempt, 0);
    // The first second left the window; its slot in the ring now holds the newest one.
    expect(series.toJson().started).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    clock.advance(60_000);
    expect(series.toJson().started).toEqual(Array(10).fill(0));
    expect(series.toJson().started).toHaveLength(10);
  });

  it('stops counting and sampling when stopped', () => {
    const { clock, events, series } = setup();
    series.stop();
    expect(clock.pendingTimers).toBe(0);
    events.attemptStarted(job('COMPLETED'), attempt, 0);
    clock.advance(1_000);
    expect(series.toJson().started.every((n) => n === 0)).toBe(true);
  });
});
