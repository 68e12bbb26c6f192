/**
 * Throttled announcements for `aria-live` regions: a screen reader hears at most one message per
 * interval (the newest, once the interval is over), so a feed at 50 events a second is not read
 * out 50 times. Urgent messages (a job finished, the connection dropped) go out at once.
 */
import type { TimerFunctions } from '$lib/client';
import { globalTimers } from '$lib/client/environment';

/** Options of {@link createAnnouncer}. */
export interface AnnouncerOptions {
	/** Least time between two announcements. Default: 5000. */
	minIntervalMs?: number;
	/** Clock in epoch ms. Default: `Date.now`. */
	now?: () => number;
	/** Timers. Default: the global ones. */
	timers?: TimerFunctions;
}

/** Sends messages to a live region, throttled. */
export interface Announcer {
	/** Queues `message`; `urgent` sends it now. A repeat of the last message is dropped. */
	say(message: string, urgent?: boolean): void;
	/** Stops the pending timer. */
	dispose(): void;
}

/** Creates an announcer that calls `emit` with each message a live region should show. */
export function createAnnouncer(
	emit: (message: string) => void,
	options: AnnouncerOptions = {}
): Announcer {
	const minIntervalMs = options.minIntervalMs ?? 5000;
	const now = options.now ?? (() => Date.now());
	const timers = options.timers ?? globalTimers;
	let lastAt = -Infinity;
	let last: string | null = null;
	let pending: string | null = null;
	let timer: unknown = null;

	function clear(): void {
		if (timer !== null) timers.clearTimeout(timer);
		timer = null;
	}

	function send(message: string): void {
		clear();
		pending = null;
		lastAt = now();
		last = message;
		emit(message);
	}

	return {
		say(message, urgent = false) {
			if (message === last && pending === null) return;
			if (urgent || now() - lastAt >= minIntervalMs) {
				send(message);
				return;
			}
			pending = message;
			timer ??= timers.setTimeout(
				() => {
					timer = null;
					if (pending !== null) send(pending);
				},
				lastAt + minIntervalMs - now()
			);
		},
		dispose: clear
	};
}
