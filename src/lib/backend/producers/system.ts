import type { SystemSample } from '$lib/shared/contract';
import type { Producer } from '../hub';
import type { Clock } from '../timers';

/** Reads the host. One sampler serves every client and every interval. */
export interface SystemSampler {
	/** Takes a fresh reading; concurrent calls share one reading. */
	sample(): Promise<SystemSample>;
	/** The newest reading, if any. */
	readonly latest: SystemSample | null;
}

/**
 * The system feed at one interval: a sample every `intervalMs` (times `slowFactor()` when it
 * starts; default 1), the newest one on connect.
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
			const tick = () => {
				// A reading slower than the interval (a busy host) must not be emitted twice as two
				// events: skip the tick instead.
				if (reading) return;
				reading = true;
				sampler
					.sample()
					.then(
						(sample) => {
							if (!stopped) emit('message', sample);
						},
						(error) => onError(error)
					)
					.finally(() => (reading = false));
			};
			// A fresh reading at once: the cached one may be old if nobody listened for a while.
			tick();
			const timer = clock.interval(tick, intervalMs * slowFactor());
			return () => {
				stopped = true;
				clock.clear(timer);
			};
		},
		snapshot: () => (sampler.latest ? [{ event: 'message', data: sampler.latest }] : [])
	};
}
