import type { SystemSample } from '$lib/shared/contract';
import type { Producer } from '../hub';
import type { Clock, TimerHandle } from '../timers';

/** Reads the host. One sampler serves every client and every interval. */
export interface SystemSampler {
	/** Takes a fresh reading; concurrent calls share one reading. */
	sample(): Promise<SystemSample>;
	/** The newest reading, if any. */
	readonly latest: SystemSample | null;
}

/** How long before its boundary a reading starts, so it is ready when the boundary comes. */
export const READ_AHEAD_MS = 250;

/**
 * The system feed at one interval: a fresh reading at once, then one on every multiple of
 * `intervalMs` (times `slowFactor()`; default 1) since the epoch. Readings start `READ_AHEAD_MS`
 * early and are sent on the boundary, so at 1000 ms they leave in the same turn as the time
 * feed's tick and a multiplexed client gets both in one write.
 */
export function systemProducer(
	sampler: SystemSampler,
	intervalMs: number,
	clock: Clock,
	onError: (error: unknown) => void = () => {},
	slowFactor: () => number = () => 1
): Producer<SystemSample> {
	return {
		start(emit) {
			let stopped = false;
			let reading = false;
			/** A reading waiting for its boundary, or `due` when the boundary came first. */
			let ready: SystemSample | null = null;
			let due = false;
			let timer: TimerHandle | null = null;
			const read = (emitAtOnce: boolean) => {
				// A reading slower than the interval (a busy host) must not be emitted twice as two
				// events: skip this boundary instead.
				if (reading) return;
				reading = true;
				due = emitAtOnce;
				sampler
					.sample()
					.then(
						(sample) => {
							if (stopped) return;
							if (due) emit('message', sample);
							else ready = sample;
							due = false;
						},
						(error) => onError(error)
					)
					.finally(() => (reading = false));
			};
			const onBoundary = () => {
				if (ready) emit('message', ready);
				else if (reading) due = true;
				ready = null;
				schedule();
			};
			const schedule = () => {
				const interval = intervalMs * slowFactor();
				const now = clock.now();
				const boundary = (Math.floor(now / interval) + 1) * interval;
				const lead = Math.min(READ_AHEAD_MS, interval / 2);
				timer = clock.timeout(
					() => {
						read(false);
						timer = clock.timeout(onBoundary, boundary - clock.now());
					},
					Math.max(0, boundary - lead - now)
				);
			};
			// A fresh reading at once: the last one may be old if nobody listened for a while.
			read(true);
			schedule();
			return () => {
				stopped = true;
				clock.clear(timer);
			};
		}
	};
}
