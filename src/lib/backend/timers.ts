/**
 * The server's clock and timers in one place: every timer the server arms goes through here, so
 * tests can swap in fake timers and `/metrics` can show how many are armed (zero when idle).
 * Timers are unref'd: the HTTP server, not a feed, decides when the process may exit.
 */

/** An armed timer; pass it back to `clear`. */
export type TimerHandle = { readonly __timer: unique symbol };

/** The clock and timers the server uses; replaceable for tests. */
export interface Clock {
	/** Milliseconds since the epoch. */
	now(): number;
	/** Runs `fn` once after `ms`. */
	timeout(fn: () => void, ms: number): TimerHandle;
	/** Runs `fn` every `ms`. */
	interval(fn: () => void, ms: number): TimerHandle;
	/** Disarms a timer; a handle already cleared or fired is ignored. */
	clear(handle: TimerHandle | null | undefined): void;
	/** How many timers are armed right now. */
	readonly active: number;
}

type Native = ReturnType<typeof setTimeout>;

/** A clock over the global timers (fake ones under `vi.useFakeTimers()`), counting what is armed. */
export function createClock(): Clock {
	const armed = new Map<TimerHandle, { native: Native; repeat: boolean }>();
	const arm = (fn: () => void, ms: number, repeat: boolean): TimerHandle => {
		const handle = {} as TimerHandle;
		const run = () => {
			if (!repeat) armed.delete(handle);
			fn();
		};
		const native = repeat ? setInterval(run, ms) : setTimeout(run, ms);
		(native as { unref?: () => void }).unref?.();
		armed.set(handle, { native, repeat });
		return handle;
	};
	return {
		now: () => Date.now(),
		timeout: (fn, ms) => arm(fn, ms, false),
		interval: (fn, ms) => arm(fn, ms, true),
		clear(handle) {
			const timer = handle && armed.get(handle);
			if (!timer) return;
			armed.delete(handle);
			if (timer.repeat) clearInterval(timer.native);
			else clearTimeout(timer.native);
		},
		get active() {
			return armed.size;
		}
	};
}
