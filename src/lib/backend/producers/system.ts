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

/** The longest a reading starts before its boundary; also the lead before the first one is timed. */
export const READ_AHEAD_MS = 250;

/**
 * How long before its boundary the next reading starts: the recent readings' duration with a
 * margin, so it is ready on time but is as fresh as it can be when the boundary sends it. The
 * slowest of them is left out once there are three, so that one slow reading (the sampler's
 * start, a busy second) does not hold every sample back for the next five.
 */
export function readAhead(recentMs: readonly number[], intervalMs: number): number {
	const cap = Math.min(READ_AHEAD_MS, intervalMs / 2);
	if (recentMs.length === 0) return cap;
	const sorted = [...recentMs].sort((a, b) => b - a);
	const slowestCounted = sorted.length >= 3 ? sorted[1]! : sorted[0]!;
	return Math.min(cap, Math.ceil(slowestCounted * 1.25) + 10);
}

/** Readings whose duration sets the read-ahead. */
const TIMED_READINGS = 5;

/**
 * The system feed at one interval: a fresh reading at once, then one on every multiple of
 * `intervalMs` (times `slowFactor()`; default 1) since the epoch. Readings start early
 * (`readAhead`: the recent readings' duration and a margin, at most `READ_AHEAD_MS`) and are sent
 * on the boundary, so at 1000 ms they leave in the same turn as the time
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
			const took: number[] = [];
			const read = (emitAtOnce: boolean) => {
				// A reading slower than the interval (a busy host) must not be emitted twice as two
				// events: skip this boundary instead.
				if (reading) return;
				reading = true;
				due = emitAtOnce;
				const began = clock.now();
				sampler
					.sample()
					.then(
						(sample) => {
							took.push(clock.now() - began);
							if (took.length > TIMED_READINGS) took.shift();
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
				// Woken at the longest lead first, so the lead itself is worked out from the readings
				// timed by then (the first boundary's, from the reading made at start).
				const startReading = () => {
					read(false);
					timer = clock.timeout(onBoundary, boundary - clock.now());
				};
				timer = clock.timeout(
					() => {
						const wait = boundary - readAhead(took, interval) - clock.now();
						if (wait > 0) timer = clock.timeout(startReading, wait);
						else startReading();
					},
					Math.max(0, boundary - readAhead([], interval) - now)
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
