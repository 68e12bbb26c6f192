/**
 * Calm under load: when events arrive faster than the screen redraws, only the latest value of
 * each frame is applied. The pure part (`frameThrottle`) takes an injectable scheduler, so tests
 * drive frames by hand; `frameThrottled` wraps a Svelte store with it.
 */
import { readable, type Readable } from 'svelte/store';

/** Schedules one callback for the next frame; returns the function that cancels it. */
export interface FrameScheduler {
	request(callback: () => void): () => void;
}

/** `requestAnimationFrame` in a browser; a 16 ms timer where there is none (SSR, old test DOMs). */
export const animationFrames: FrameScheduler = {
	request(callback) {
		if (typeof requestAnimationFrame === 'function') {
			const handle = requestAnimationFrame(() => callback());
			return () => cancelAnimationFrame(handle);
		}
		const handle = setTimeout(callback, 16);
		return () => clearTimeout(handle);
	}
};

/** A latest-value-per-frame buffer in front of `apply`. */
export interface FrameThrottle<T> {
	/** Keeps `value` as the latest; `apply` gets it at the next frame. */
	push(value: T): void;
	/** Applies the held value now (if any), e.g. before a final event must show. */
	flush(): void;
	/** Drops the held value and the scheduled frame. */
	cancel(): void;
}

/** Options of {@link frameThrottle}. */
export interface FrameThrottleOptions {
	/** Applies a value at once when no frame is pending (then holds the rest until the frame). Default: false. */
	leading?: boolean;
}

/**
 * Buffers values and applies at most one per frame, always the newest.
 * @example
 * const throttle = frameThrottle((p) => (progress = p), animationFrames, { leading: true });
 * store.subscribe((v) => throttle.push(v));
 */
export function frameThrottle<T>(
	apply: (value: T) => void,
	scheduler: FrameScheduler = animationFrames,
	options: FrameThrottleOptions = {}
): FrameThrottle<T> {
	let held: { value: T } | null = null;
	let cancelFrame: (() => void) | null = null;

	function run(): void {
		cancelFrame = null;
		const current = held;
		held = null;
		if (current) apply(current.value);
	}

	return {
		push(value) {
			if (options.leading && cancelFrame === null) {
				// The frame after a leading value is a cool-down: values until then wait for it.
				cancelFrame = scheduler.request(run);
				apply(value);
				return;
			}
			held = { value };
			cancelFrame ??= scheduler.request(run);
		},
		flush() {
			cancelFrame?.();
			run();
		},
		cancel() {
			cancelFrame?.();
			cancelFrame = null;
			held = null;
		}
	};
}

/**
 * A store that follows `source` at most once per frame. The value present at subscription is
 * passed on at once, so a first render (or a remount) never waits for a frame.
 */
export function frameThrottled<T>(
	source: Readable<T>,
	scheduler: FrameScheduler = animationFrames
): Readable<T> {
	// The placeholder is never observed: subscribing to a Svelte store calls back synchronously,
	// so `set` runs inside `start`, before the first subscriber reads.
	return readable<T>(undefined as T, (set) => {
		const throttle = frameThrottle(set, scheduler);
		let first = true;
		const stop = source.subscribe((value) => {
			if (first) {
				first = false;
				set(value);
			} else {
				throttle.push(value);
			}
		});
		return () => {
			stop();
			throttle.cancel();
		};
	});
}
