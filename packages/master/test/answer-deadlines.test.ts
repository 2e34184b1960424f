import { describe, expect, it } from 'vitest';
import { AnswerDeadlines, type AwaitingAnswer } from '@dist-exec/master';
import { FakeClock } from '@dist-exec/testing';

function waiter(log: string[], name: string, onTimeout?: () => void): AwaitingAnswer {
  return {
    timedOut: () => {
      log.push(`${name}@${clockNow()}`);
      onTimeout?.();
    },
  };
}

let clockNow: () => number = () => 0;

describe('AnswerDeadlines', () => {
  it('times out each waiter at its own deadline, on one timer, and never one that was answered', () => {
    const clock = new FakeClock(0);
    clockNow = () => clock.now();
    const deadlines = new AnswerDeadlines(clock, 1000);
    const log: string[] = [];
    const a = waiter(log, 'a');
    const b = waiter(log, 'b');
    const c = waiter(log, 'c');
    deadlines.add(a);
    clock.advance(300);
    deadlines.add(b);
    clock.advance(300);
    deadlines.add(c);
    expect(clock.pendingTimers).toBe(1);
    deadlines.delete(b);
    clock.advance(399);
    expect(log).toEqual([]);
    clock.advance(1);
    expect(log).toEqual(['a@1000']);
    clock.advance(1000);
    expect(log).toEqual(['a@1000', 'c@1600']);
    expect(deadlines.size).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('keeps one timer when a waiter that times out adds another', () => {
    const clock = new FakeClock(0);
    clockNow = () => clock.now();
    const deadlines = new AnswerDeadlines(clock, 100);
    const log: string[] = [];
    const retry = waiter(log, 'retry');
    deadlines.add(waiter(log, 'first', () => deadlines.add(retry)));
    clock.advance(100);
    expect(log).toEqual(['first@100']);
    expect(clock.pendingTimers).toBe(1);
    clock.advance(100);
    expect(log).toEqual(['first@100', 'retry@200']);
  });

  it('stops: nothing times out afterwards and nothing new is taken', () => {
    const clock = new FakeClock(0);
    clockNow = () => clock.now();
    const deadlines = new AnswerDeadlines(clock, 100);
    const log: string[] = [];
    deadlines.add(waiter(log, 'a'));
    deadlines.stop();
    deadlines.add(waiter(log, 'b'));
    clock.advance(1000);
    expect(log).toEqual([]);
  });
});
