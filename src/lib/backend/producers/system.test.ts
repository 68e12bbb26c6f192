import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SystemSample } from '$lib/shared/contract';
import { createClock } from '../timers';
import { systemProducer, type SystemSampler } from './system';

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
});
