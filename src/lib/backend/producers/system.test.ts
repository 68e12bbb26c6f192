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

	it('starts each reading as late as its recent readings allow, and sends it on the boundary', async () => {
		// Readings take 40 ms; each is stamped when it ends, as the real sampler does.
		const sampler: SystemSampler = {
			latest: null,
			sample: () =>
				new Promise<SystemSample>((resolve) =>
					setTimeout(() => resolve({ epoch_ms: Date.now() } as SystemSample), 40)
				)
		};
		const sent: { at: number; sampledAt: number }[] = [];
		const stop = systemProducer(sampler, 1000, createClock()).start((_e, d) =>
			sent.push({ at: Date.now(), sampledAt: d.epoch_ms })
		);
		await vi.advanceTimersByTimeAsync(4000);
		stop();
		// The first reading at once; then one on each second. The second reading was scheduled before
		// any was timed, so it started READ_AHEAD_MS early and waited 210 ms; the later ones start
		// 40 × 1.5 + 20 = 80 ms early and wait 40 ms.
		expect(sent.map((s) => s.at)).toEqual([40, 1000, 2000, 3000, 4000]);
		expect(sent.map((s) => s.at - s.sampledAt)).toEqual([0, READ_AHEAD_MS - 40, 40, 40, 40]);
	});
});

describe('readAhead', () => {
	it('leads by the slowest recent reading and a margin, within READ_AHEAD_MS and half the interval', () => {
		expect(readAhead([], 1000)).toBe(READ_AHEAD_MS);
		expect(readAhead([], 200)).toBe(100);
		expect(readAhead([10, 40, 20], 1000)).toBe(80);
		expect(readAhead([900], 1000)).toBe(READ_AHEAD_MS);
		expect(readAhead([100], 200)).toBe(100);
	});
});
