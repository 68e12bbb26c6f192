import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SystemSample } from '$lib/shared/contract';
import { createClock } from '../timers';
import { readAhead, READ_AHEAD_MS, systemProducer, type SystemSampler } from './system';

describe('systemProducer', () => {
	beforeEach(() => {
		vi.useFakeTimers({ now: 0 });
	});
	afterEach(() => {
		vi.useRealTimers();
	});

	it('samples at once and then every interval, and emits nothing after stop', async () => {
		let calls = 0;
		const sampler: SystemSampler = {
			latest: null,
			sample: async () => ({ epoch_ms: ++calls }) as SystemSample
		};
		const clock = createClock();
		const producer = systemProducer(sampler, 500, clock);
		const emitted: number[] = [];
		const stop = producer.start((_event, data) => emitted.push(data.epoch_ms));
		await vi.advanceTimersByTimeAsync(1000);
		expect(emitted).toEqual([1, 2, 3]);
		stop();
		expect(clock.active).toBe(0);
		await vi.advanceTimersByTimeAsync(1000);
		expect(emitted).toEqual([1, 2, 3]);
	});

	it('emits each reading once when a reading takes longer than the interval', async () => {
		let calls = 0;
		let pending: Promise<SystemSample> | null = null;
		// Like the real sampler, calls made during a reading share it.
		const sampler: SystemSampler = {
			latest: null,
			sample: () =>
				(pending ??= new Promise<SystemSample>((resolve) => {
					const n = ++calls;
					setTimeout(() => resolve({ epoch_ms: n } as SystemSample), 1200);
				}).finally(() => (pending = null)))
		};
		const emitted: number[] = [];
		const stop = systemProducer(sampler, 500, createClock()).start((_e, d) =>
			emitted.push(d.epoch_ms)
		);
		await vi.advanceTimersByTimeAsync(5000);
		stop();
		expect(emitted.length).toBeGreaterThanOrEqual(3);
		expect(new Set(emitted).size).toBe(emitted.length);
		expect(calls).toBe(emitted.length + 1);
	});

	it('reports a failed reading and keeps going', async () => {
		const onError = vi.fn();
		let fail = true;
		const sampler: SystemSampler = {
			latest: null,
			sample: async () => {
				if (fail) {
					fail = false;
					throw new Error('no /proc');
				}
				return { epoch_ms: 1 } as SystemSample;
			}
		};
		const emitted: unknown[] = [];
		const stop = systemProducer(sampler, 500, createClock(), onError).start((_e, d) =>
			emitted.push(d)
		);
		await vi.advanceTimersByTimeAsync(500);
		expect(onError).toHaveBeenCalledTimes(1);
		expect(emitted).toHaveLength(1);
		stop();
	});

	/**
	 * Runs a 1000 ms producer for 4 s over readings that take `durationMs(n)` for the n-th (from 0),
	 * each stamped when it ends as the real sampler does; returns when each sample was sent, and its
	 * age then.
	 */
	async function sendTimes(durationMs: (n: number) => number) {
		let calls = 0;
		const sampler: SystemSampler = {
			latest: null,
			sample: () =>
				new Promise<SystemSample>((resolve) =>
					setTimeout(() => resolve({ epoch_ms: Date.now() } as SystemSample), durationMs(calls++))
				)
		};
		const sent: { at: number; age: number }[] = [];
		const stop = systemProducer(sampler, 1000, createClock()).start((_e, d) =>
			sent.push({ at: Date.now(), age: Date.now() - d.epoch_ms })
		);
		await vi.advanceTimersByTimeAsync(4000);
		stop();
		return { at: sent.map((s) => s.at), age: sent.map((s) => s.age) };
	}

	it('starts each reading as late as its recent readings allow, and sends it on the boundary', async () => {
		const { at, age } = await sendTimes(() => 40);
		// The first reading at once; then one on each second. Every later reading, the first
		// boundary's included (its lead comes from the reading at start), starts 40 × 1.25 + 10 = 60 ms
		// early and waits 20 ms.
		expect(at).toEqual([40, 1000, 2000, 3000, 4000]);
		expect(age).toEqual([0, 20, 20, 20, 20]);
	});

	it('is not held back for long by one slow reading', async () => {
		// The reading at start takes 300 ms (the sampler's worker starting), every later one 40 ms.
		const { at, age } = await sendTimes((n) => (n === 0 ? 300 : 40));
		// At 1 s the lead is READ_AHEAD_MS (only the slow reading is timed), so it waits 210 ms; at 2 s
		// it is 300 × 1.25 + 10, capped (two readings, both count); from 3 s on the slow one is left out.
		expect(at).toEqual([300, 1000, 2000, 3000, 4000]);
		expect(age).toEqual([0, READ_AHEAD_MS - 40, READ_AHEAD_MS - 40, 20, 20]);
	});
});

describe('readAhead', () => {
	it('leads by the recent readings and a margin, within READ_AHEAD_MS and half the interval', () => {
		expect(readAhead([], 1000)).toBe(READ_AHEAD_MS);
		expect(readAhead([], 200)).toBe(100);
		expect(readAhead([40], 1000)).toBe(60);
		expect(readAhead([90, 25], 1000)).toBe(123);
		// From three readings on, the slowest is left out: one slow reading does not set the lead.
		expect(readAhead([10, 40, 20], 1000)).toBe(35);
		expect(readAhead([25, 25, 90, 25, 25], 1000)).toBe(42);
		expect(readAhead([25, 25, 90, 25, 90], 1000)).toBe(123);
		expect(readAhead([900], 1000)).toBe(READ_AHEAD_MS);
		expect(readAhead([100], 200)).toBe(100);
	});
});
