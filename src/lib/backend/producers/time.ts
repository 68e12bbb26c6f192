import type { TimeTick } from '$lib/shared/contract';
import { tickSecond, timeTick } from '$lib/shared/time';
import type { Producer } from '../hub';
import type { Clock } from '../timers';

/**
 * The time feed: a tick on every whole second, and one at once when it starts. `slowFactor`
 * (default 1) stretches the gap by whole seconds, so ticks still land on a second. Each second is
 * sent at most once and in order, however early or late the timers fire.
 */
export function timeProducer(clock: Clock, slowFactor: () => number = () => 1): Producer<TimeTick> {
	return {
		start(emit) {
			let latest: TimeTick | null = null;
			let timer = null as ReturnType<Clock['timeout']> | null;
			let armedFor: number | null = null;
			const tick = () => {
				const now = clock.now();
				const second = tickSecond(armedFor, now);
				const last = latest?.epoch_ms ?? -Infinity;
				// A timer far too early (or a clock set back) would repeat a second: wait for the next.
				if (second > last) {
					latest = timeTick(second);
					emit('message', latest);
				}
				// Armed for a whole second from the one just sent, so a late timer never drifts.
				armedFor = Math.max(second, last) + slowFactor() * 1000;
				timer = clock.timeout(tick, Math.max(0, armedFor - now));
			};
			tick();
			return () => clock.clear(timer);
		}
	};
}
