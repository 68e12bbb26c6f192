import type { TimeTick } from '$lib/shared/contract';
import { msUntilNextSecond, timeTick } from '$lib/shared/time';
import type { Producer } from '../hub';
import type { Clock } from '../timers';

/** The time feed: a tick on every whole second, and one at once when it starts. */
export function timeProducer(clock: Clock): Producer<TimeTick> {
	let latest: TimeTick | null = null;
	return {
		start(emit) {
			let timer = null as ReturnType<Clock['timeout']> | null;
			const tick = () => {
				latest = timeTick(clock.now());
				emit('message', latest);
				// Re-aligned on every tick, so a late timer never makes the clock drift.
				timer = clock.timeout(tick, msUntilNextSecond(clock.now()));
			};
			tick();
			return () => clock.clear(timer);
		},
		snapshot: () => [{ event: 'message', data: latest ?? timeTick(clock.now()) }]
	};
}
