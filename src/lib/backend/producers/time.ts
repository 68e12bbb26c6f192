import type { TimeTick } from '$lib/shared/contract';
import { msUntilNextSecond, timeTick } from '$lib/shared/time';
import type { Producer } from '../hub';
import type { Clock } from '../timers';

/**
 * The time feed: a tick on every whole second, and one at once when it starts. `slowFactor`
 * (default 1) stretches the gap by whole seconds, so ticks still land on a second.
 */
export function timeProducer(clock: Clock, slowFactor: () => number = () => 1): Producer<TimeTick> {
	return {
		start(emit) {
			let timer = null as ReturnType<Clock['timeout']> | null;
			const tick = () => {
				emit('message', timeTick(clock.now()));
				// Re-aligned on every tick, so a late timer never makes the clock drift.
				timer = clock.timeout(tick, msUntilNextSecond(clock.now()) + (slowFactor() - 1) * 1000);
			};
			tick();
			return () => clock.clear(timer);
		}
	};
}
