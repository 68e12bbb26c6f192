import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TimeTick } from '$lib/shared/contract';
import { createClock, type Clock } from '../timers';
import { timeProducer } from './time';

/**
 * A clock over fake timers whose timeouts fire `skew(n)` ms off the delay asked for (the n-th
 * timeout armed): what a real event loop does, early by a rounding error or late under load.
 */
function skewedClock(skew: (n: number) => number): Clock {
	const clock = createClock();
	let armed = 0;
	return {
		now: () => clock.now(),
		timeout: (fn, ms) => clock.timeout(fn, Math.max(0, ms + skew(armed++))),
		interval: (fn, ms) => clock.interval(fn, ms),
		clear: (handle) => clock.clear(handle),
		get active() {
			return clock.active;
		}
	};
}

/** Runs the time producer for `ms` of fake time and returns the seconds it sent. */
function run(clock: Clock, ms: number, slowFactor?: () => number): number[] {
	const ticks: TimeTick[] = [];
	const stop = timeProducer(clock, slowFactor).start((_event, tick) => ticks.push(tick));
	vi.advanceTimersByTime(ms);
	stop();
	return ticks.map((tick) => tick.epoch_ms);
}

/** Asserts that `seconds` are whole seconds, each exactly `step` ms after the one before. */
function expectEverySecondOnce(seconds: number[], step = 1000) {
	expect(seconds.length).toBeGreaterThan(2);
	for (const second of seconds) expect(second % 1000).toBe(0);
	const gaps = seconds.slice(1).map((second, i) => second - seconds[i]!);
	expect(gaps).toEqual(gaps.map(() => step));
}

describe('timeProducer', () => {
	beforeEach(() => {
		vi.useFakeTimers();
		vi.setSystemTime(Date.UTC(2026, 11, 2, 17, 0, 48, 250));
	});
	afterEach(() => {
		vi.useRealTimers();
	});

	it('sends each second exactly once when every timer fires 1 ms early', () => {
		// Issue 14, defect 6: a tick at :48.999 was rounded down to :48 again.
		expectEverySecondOnce(
			run(
				skewedClock(() => -1),
				30_000
			)
		);
	});

	it('sends each second exactly once when timers fire early and late by turns', () => {
		const skews = [-1, 300, -250, 0, 499, -499, 1, 950, -10];
		expectEverySecondOnce(
			run(
				skewedClock((n) => skews[n % skews.length]!),
				60_000
			)
		);
	});

	it('sends each second exactly once on exact timers, starting with the current one', () => {
		const seconds = run(
			skewedClock(() => 0),
			10_000
		);
		expect(seconds[0]).toBe(Date.UTC(2026, 11, 2, 17, 0, 48));
		expectEverySecondOnce(seconds);
		expect(seconds).toHaveLength(11);
	});

	it('keeps whole-second steps of slowFactor seconds with skewed timers', () => {
		expectEverySecondOnce(
			run(
				skewedClock((n) => (n % 2 ? -1 : 7)),
				30_000,
				() => 3
			),
			3000
		);
	});

	it('never repeats a second, even when a timer fires a whole second early', () => {
		const seconds = run(
			skewedClock((n) => (n === 2 ? -1000 : 0)),
			10_000
		);
		const gaps = seconds.slice(1).map((second, i) => second - seconds[i]!);
		for (const gap of gaps) expect(gap).toBeGreaterThan(0);
	});
});
