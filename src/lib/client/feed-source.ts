/**
 * `createFeedSource`: Svelte stores over one SSE URL. The source itself is a store of the
 * connection state; `event(name)` gives a child store per named event. Stores are lazy: the
 * connection opens with the first subscriber to any of them and closes after the last.
 */
import { writable, type Readable } from 'svelte/store';
import { acquireConnection, type SharedConnection } from './connection';
import { initialConnectionState, transition } from './connection-state';
import { resolveOptions } from './environment';
import type { ConnectionState, FeedParseError, FeedSourceOptions, FeedValue } from './types';

/** Event names a source accepts: its map's names, plus the unnamed `message` event. */
export type FeedEventName<E> = (keyof E & string) | 'message';

/** The payload type of one event name (`unknown` for a name the map does not list). */
export type FeedEventData<E, K> = K extends keyof E ? E[K] : unknown;

/** Stores over one EventSource URL; the source itself is a store of the {@link ConnectionState}. */
export interface FeedSource<E> extends Readable<ConnectionState> {
	/** The URL this source connects to (before the `lastEventId` resume parameter). */
	readonly url: string;
	/** The latest value of one named event, or undefined before the first. */
	event<K extends FeedEventName<E>>(name: K): Readable<FeedValue<FeedEventData<E, K>> | undefined>;
	/** The latest parse error per event name; a good payload of that name clears it. */
	readonly parseErrors: Readable<Readonly<Record<string, FeedParseError>>>;
	/** Connects again now (from attempt 0, resuming), also after `close()` or a fatal error. */
	reconnect(): void;
	/** Stops this source: its state reads `closed` and its stores keep their last values. */
	close(): void;
}

/** One store's link to the connection: subscribes to it, or with null unsubscribes. */
type Slot = (connection: SharedConnection | null) => void;

/**
 * Creates the stores over one SSE URL. Two sources on the same URL (and policy) share one
 * EventSource; during SSR, or without an `EventSource`, the stores stay at their initial values.
 * @example
 * const feed = createFeedSource<StocksEvents>('/api/feeds/stocks');
 * const aapl = feed.event('AAPL'); // $aapl?.data.price
 */
export function createFeedSource<E extends object = Record<string, unknown>>(
	url: string,
	options: FeedSourceOptions = {}
): FeedSource<E> {
	const resolved = resolveOptions(options);
	const slots = new Set<Slot>();
	const events = new Map<string, Readable<FeedValue<unknown> | undefined>>();
	let lease: SharedConnection | null = null;
	let closed = false;

	function attach(): void {
		if (lease || closed || !resolved || slots.size === 0) return;
		lease = acquireConnection(url, resolved);
		for (const slot of slots) slot(lease);
	}

	function detach(): void {
		const held = lease;
		if (!held) return;
		lease = null;
		for (const slot of slots) slot(null);
		held.release();
	}

	/** Registers a store's first subscriber; returns the stop function Svelte calls after its last. */
	function occupy<T>(
		pick: (connection: SharedConnection) => Readable<T>,
		set: (value: T) => void
	): () => void {
		let stop: (() => void) | null = null;
		// attach() binds every slot only while the source holds no connection, so a slot is never
		// bound twice in a row.
		const slot: Slot = (connection) => {
			stop?.();
			stop = connection && pick(connection).subscribe(set);
		};
		slots.add(slot);
		if (lease) slot(lease);
		else attach();
		return () => {
			slot(null);
			slots.delete(slot);
			if (slots.size === 0) detach();
		};
	}

	const state = writable<ConnectionState>(initialConnectionState(), (set) =>
		occupy((connection) => connection.state, set)
	);

	const parseErrors = writable<Readonly<Record<string, FeedParseError>>>({}, (set) =>
		occupy((connection) => connection.parseErrors, set)
	);

	function event<K extends FeedEventName<E>>(
		name: K
	): Readable<FeedValue<FeedEventData<E, K>> | undefined> {
		let store = events.get(name);
		if (!store) {
			store = writable<FeedValue<unknown> | undefined>(undefined, (set) =>
				occupy(
					(connection) => connection.channel(name),
					// A new connection starts empty: keep showing the last value until the next one.
					(value: FeedValue<unknown> | undefined) => {
						if (value !== undefined) set(value);
					}
				)
			);
			events.set(name, store);
		}
		return store as Readable<FeedValue<FeedEventData<E, K>> | undefined>;
	}

	return {
		url,
		subscribe: state.subscribe,
		event,
		parseErrors: { subscribe: parseErrors.subscribe },
		reconnect() {
			if (closed) {
				closed = false;
				attach();
				return;
			}
			lease?.reconnect();
		},
		close() {
			if (closed) return;
			closed = true;
			detach();
			state.update((current) => transition(current, { type: 'closed' }));
		}
	};
}
