/**
 * Public types of the client stores: plain data any UI can render, and the injectable parts
 * (EventSource, timers, clock) that let the stores run in tests and outside a browser.
 */

/** Where a connection stands; `closed` is final until `reconnect()` or a new first subscriber. */
export type ConnectionStatusName = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** Why the connection last failed; `status` is the HTTP status when one was learned. */
export interface ConnectionError {
	message: string;
	status?: number;
	/** True when the store gave up for good (a 4xx other than 408/429). */
	fatal: boolean;
}

/** The connection as plain data: what a status badge needs to render. */
export interface ConnectionState {
	status: ConnectionStatusName;
	/** Failed tries since the last successful open; 0 while open. */
	attempt: number;
	/** When the store's own next try is due (epoch ms), or null when none is scheduled. */
	nextRetryAt: number | null;
	/** The id of the last event that carried one; sent back on resume. */
	lastEventId: string | null;
	/** When the last event (heartbeat included) arrived (epoch ms). */
	lastEventAt: number | null;
	lastError: ConnectionError | null;
}

/** Alias of {@link ConnectionState}: the name the dashboard's status widget uses. */
export type ConnectionStatus = ConnectionState;

/** One received event: identical payloads in a row are still distinct values. */
export interface FeedValue<T> {
	data: T;
	/** The stream's last event id when this event arrived, or null. */
	id: string | null;
	/** Epoch ms, from the injected clock. */
	receivedAt: number;
}

/** A payload that was not valid JSON: reported as data, never thrown. */
export interface FeedParseError {
	event: string;
	message: string;
	/** The raw `data` text, cut to 200 characters. */
	raw: string;
	id: string | null;
	receivedAt: number;
}

/** The part of `MessageEvent` the stores read. */
export interface FeedMessageEvent {
	readonly data: unknown;
	readonly lastEventId: string;
}

/** The part of an `EventSource` instance the stores use. */
export interface EventSourceLike {
	readonly readyState: number;
	addEventListener(type: string, listener: (event: Event) => void): void;
	removeEventListener(type: string, listener: (event: Event) => void): void;
	close(): void;
}

/** An `EventSource` constructor: the browser's, the `eventsource` package's, or a fake. */
export type EventSourceConstructor = new (
	url: string,
	init?: { withCredentials?: boolean }
) => EventSourceLike;

/** Timer functions; defaults call the global ones at call time, so fake timers apply. */
export interface TimerFunctions {
	setTimeout(callback: () => void, ms: number): unknown;
	clearTimeout(handle: unknown): void;
}

/** Browser signals the stores react to: the network came back, the tab became visible. */
export interface LifecycleSignals {
	/** Calls `listener` on each signal; returns the function that stops listening. */
	subscribe(listener: (signal: 'online' | 'visible') => void): () => void;
}

/** The part of the Web Locks API (`navigator.locks`) that elects a leader tab. */
export interface LockManagerLike {
	/** Runs `callback` while holding the lock `name`; waits for it, unless `signal` aborts first. */
	request(
		name: string,
		options: { signal?: AbortSignal },
		callback: (lock: unknown) => Promise<void>
	): Promise<unknown>;
}

/** The part of a `BroadcastChannel` instance the stores use. */
export interface BroadcastChannelLike {
	onmessage: ((event: MessageEvent) => void) | null;
	postMessage(message: unknown): void;
	close(): void;
}

/** A `BroadcastChannel` constructor: the browser's or a fake. */
export type BroadcastChannelConstructor = new (name: string) => BroadcastChannelLike;

/** Options of {@link createFeedSource}. Connection options of sources that share one URL must match to share. */
export interface FeedSourceOptions {
	/** Event names that close the stream cleanly when they arrive (no reconnect). Default: none. */
	closeOn?: readonly string[];
	/** Event names to watch even without a subscriber, so the staleness watchdog sees them. Default: none. */
	listen?: readonly string[];
	/** The server's heartbeat interval; no event for twice this means reconnect. Default: 15000. */
	heartbeatMs?: number;
	/** The least delay before the store's own retry (the contract's `retry:`). Default: 2000. */
	minRetryMs?: number;
	/** Base of the exponential backoff window (doubles each attempt). Default: 1000. */
	baseRetryMs?: number;
	/** Cap of the backoff delay. Default: 30000. */
	maxRetryMs?: number;
	/** Sent as the EventSource's `withCredentials` and the status probe's credentials. Default: false. */
	withCredentials?: boolean;
	/** The EventSource implementation. Default: the global one, only in a browser (`window` exists). */
	EventSource?: EventSourceConstructor;
	/** Used to probe the HTTP status when the EventSource gives none. Default: global `fetch`. */
	fetch?: typeof fetch;
	/** Timers. Default: the global `setTimeout`/`clearTimeout`. */
	timers?: TimerFunctions;
	/** Clock in epoch ms. Default: `Date.now`. */
	now?: () => number;
	/** Uniform numbers in [0, 1) for the backoff jitter. Default: `Math.random`. */
	random?: () => number;
	/** `online` and `visible` signals. Default: `window`'s `online` and `document`'s `visibilitychange`. */
	lifecycle?: LifecycleSignals;
	/**
	 * One connection per URL for all of this origin's tabs: a leader tab, elected with Web Locks,
	 * owns the EventSource and relays it over a BroadcastChannel. Without both APIs each tab
	 * connects on its own. Default: true.
	 */
	shareAcrossTabs?: boolean;
	/** The Web Locks API that elects the leader tab. Default: `navigator.locks`, in a browser. */
	locks?: LockManagerLike;
	/** The channel that relays the leader's stream. Default: the global `BroadcastChannel`, in a browser. */
	BroadcastChannel?: BroadcastChannelConstructor;
	/** Events of each name the leader tab hands a tab that joins later (its history). Default: 1. */
	sharedHistory?: number;
}
