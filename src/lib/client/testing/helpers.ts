/** Small test helpers for the client stores: a manual clock, lifecycle signals, a state recorder. */
import type { Readable } from 'svelte/store';
import type { ConnectionState, LifecycleSignals, TimerFunctions } from '../types';

/** A clock and timers that move only when the test says so. */
export interface ManualClock {
	now(): number;
	timers: TimerFunctions;
	/** Delays (ms, as scheduled) of the pending timers, soonest first. */
	pending(): number[];
	/** Moves time forward, firing every timer that falls due, in order. */
	advance(ms: number): void;
	/** Moves to the soonest pending timer and fires it; returns its scheduled delay. */
	runNext(): number;
}

/** Creates a {@link ManualClock} starting at `start` (epoch ms). */
export function createManualClock(start = 1_000_000): ManualClock {
	let now = start;
	let seq = 0;
	const timers = new Map<number, { at: number; ms: number; run: () => void }>();
	const soonest = () => [...timers.entries()].sort(([a, x], [b, y]) => x.at - y.at || a - b)[0];
	return {
		now: () => now,
		timers: {
			setTimeout(run, ms) {
				seq += 1;
				timers.set(seq, { at: now + ms, ms, run });
				return seq;
			},
			clearTimeout(handle) {
				timers.delete(handle as number);
			}
		},
		pending: () => [...timers.values()].sort((x, y) => x.at - y.at).map((t) => t.ms),
		advance(ms) {
			const until = now + ms;
			for (let next = soonest(); next && next[1].at <= until; next = soonest()) {
				timers.delete(next[0]);
				now = next[1].at;
				next[1].run();
			}
			now = until;
		},
		runNext() {
			const next = soonest();
			if (!next) throw new Error('no pending timer');
			timers.delete(next[0]);
			now = next[1].at;
			next[1].run();
			return next[1].ms;
		}
	};
}

/** Lifecycle signals the test fires by hand. */
export interface FakeLifecycle {
	lifecycle: LifecycleSignals;
	emit(signal: 'online' | 'visible'): void;
	/** How many connections listen. */
	listeners(): number;
}

/** Creates {@link FakeLifecycle}. */
export function createFakeLifecycle(): FakeLifecycle {
	const listeners = new Set<(signal: 'online' | 'visible') => void>();
	return {
		lifecycle: {
			subscribe(listener) {
				listeners.add(listener);
				return () => listeners.delete(listener);
			}
		},
		emit: (signal) => listeners.forEach((listener) => listener(signal)),
		listeners: () => listeners.size
	};
}

/**
 * Records a state store's transitions as labels (`open`, `reconnecting#2`, `closed`), dropping
 * consecutive repeats (every event updates `lastEventAt`), so a test compares the whole sequence.
 */
export function recordTransitions(store: Readable<ConnectionState>): {
	labels: string[];
	states: ConnectionState[];
	stop: () => void;
} {
	const labels: string[] = [];
	const states: ConnectionState[] = [];
	const stop = store.subscribe((state) => {
		states.push(state);
		const label = state.status === 'reconnecting' ? `reconnecting#${state.attempt}` : state.status;
		if (labels.at(-1) !== label) labels.push(label);
	});
	return { labels, states, stop };
}

/** Resolves with the store's first value that passes `predicate` (event-driven, no polling). */
export function until<T>(store: Readable<T>, predicate: (value: T) => boolean): Promise<T> {
	return new Promise((resolve) => {
		let done = false;
		let stop: (() => void) | null = null;
		stop = store.subscribe((value) => {
			if (done || !predicate(value)) return;
			done = true;
			resolve(value);
			stop?.();
		});
		if (done) stop();
	});
}
