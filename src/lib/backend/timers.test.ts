import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClock } from './timers';

beforeEach(() => {
	vi.useFakeTimers({ now: 1000 });
});
afterEach(() => {
	vi.useRealTimers();
});

describe('createClock', () => {
	it('counts armed timers: a fired timeout and a cleared one no longer count', () => {
		const clock = createClock();
		const fired = vi.fn();
		clock.timeout(fired, 10);
		const cleared = clock.timeout(() => {}, 10);
		const every = clock.interval(() => {}, 5);
		expect(clock.active).toBe(3);
		clock.clear(cleared);
		clock.clear(cleared);
		clock.clear(null);
		expect(clock.active).toBe(2);
		vi.advanceTimersByTime(10);
		expect(fired).toHaveBeenCalledTimes(1);
		expect(clock.active).toBe(1);
		clock.clear(every);
		expect(clock.active).toBe(0);
		expect(vi.getTimerCount()).toBe(0);
	});

	it('repeats an interval until cleared and reads the (fake) time', () => {
		const clock = createClock();
		const tick = vi.fn();
		const handle = clock.interval(tick, 100);
		vi.advanceTimersByTime(350);
		expect(tick).toHaveBeenCalledTimes(3);
		expect(clock.now()).toBe(1350);
		clock.clear(handle);
		vi.advanceTimersByTime(1000);
		expect(tick).toHaveBeenCalledTimes(3);
	});
});
