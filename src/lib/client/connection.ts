/**
 * One live `EventSource` connection, shared by reference count between every source on the same
 * URL (and policy). It wires the pure parts together: routing, the backoff schedule, the state
 * reducer, the staleness watchdog and the browser's `online`/`visible` signals.
 *
 * Reconnect policy: when the stream drops, the EventSource's own reconnect runs first (it honours
 * the server's `retry:` and sends `Last-Event-ID`). When that fails again, or the EventSource gives
 * up (CLOSED: any non-200 answer), this class takes over: it learns the HTTP status (the error's
 * `code` from the `eventsource` package, else a `fetch` probe), then retries with backoff or stops.
 *
 * Across tabs (issue 12): with `tabs` resolved, the tabs of one URL share one stream. The tab that
 * holds the URL's Web Lock leads: it runs the EventSource, the watchdog and the retries, and posts
 * each raw event and each state change on a BroadcastChannel. The others wait in the lock's queue
 * and route what they hear as if their own EventSource had received it, so `closeOn` and parse
 * errors work in every tab alike. When the leader goes (closed, reloaded, crashed), the browser
 * grants the lock to the next tab, which connects with the last id it heard: no gap, no duplicate.
 * The relay lives in this class (not a module of its own) because every byte here lands in every
 * host app (bench/size.js).
 */
import { writable, type Readable, type Writable } from 'svelte/store';
import { classifyFailure, parseRetryAfter, retryDelay } from './backoff';
import {
	initialConnectionState,
	isStale,
	transition,
	type ConnectionAction
} from './connection-state';
import { probeStatus, type ResolvedOptions, type TabSharing } from './environment';
import { routeEvent, withLastEventId } from './routing';
import type {
	BroadcastChannelLike,
	ConnectionError,
	ConnectionState,
	EventSourceLike,
	FeedMessageEvent,
	FeedParseError,
	FeedValue
} from './types';

const CLOSED = 2;

/** One relayed event as the leader's EventSource saw it: name, raw data, `lastEventId`. */
type TabEvent = [name: string, data: unknown, id: string];

/** A message between the tabs of one URL; `f` is the sender's tab id. */
type TabMessage = { f: string } & (
	| { t: 'hello' | 'listen'; names: string[] }
	| { t: 'lead' | 'reconnect' }
	| { t: 'snapshot'; state: ConnectionState; events: TabEvent[] }
	| { t: 'state'; state: ConnectionState }
	| { t: 'event'; event: TabEvent }
);

/** Drops the `history` query parameter, which a server that predates it rejects. */
function withoutHistory(url: string): string {
	return url.replace(/([?&])history=\d*&?/, '$1').replace(/[?&]$/, '');
}

/** A live connection to one URL; created and shared through {@link acquireConnection}. */
export class SharedConnection {
	#url: string;
	readonly #opts: ResolvedOptions;
	readonly #onDrop: () => void;
	readonly #state: Writable<ConnectionState>;
	readonly #channels = new Map<string, Writable<FeedValue<unknown> | undefined>>();
	readonly #parseErrors = writable<Readonly<Record<string, FeedParseError>>>({});
	readonly #names: Set<string>;
	#current = initialConnectionState();
	#refs = 0;
	#es: EventSourceLike | null = null;
	#generation = 0;
	/** The one pending timer: the watchdog while an EventSource runs, else the next retry. */
	#timer: unknown = null;
	#lastActivityAt = 0;
	#stopLifecycle: (() => void) | undefined;
	// Cross-tab sharing; `#bc` is null when this tab connects on its own.
	readonly #tabId = Math.random().toString(36).slice(2);
	#bc: BroadcastChannelLike | null = null;
	#stopTabs: (() => void) | undefined;
	/** The tab whose messages count: this tab's own id while it leads. */
	#leader: string | null = null;
	/** Whether the leader's snapshot arrived; its events before that are in it. */
	#synced = false;
	#recent: TabEvent[] = [];

	constructor(url: string, opts: ResolvedOptions, onDrop: () => void) {
		this.#url = url;
		this.#opts = opts;
		this.#onDrop = onDrop;
		this.#state = writable(this.#current);
		this.#names = new Set(['ping', ...opts.closeOn, ...opts.listen]);
	}

	/** The connection state; updates on every transition and every received event. */
	get state(): Readable<ConnectionState> {
		return this.#state;
	}

	/** The latest parse error per event name; a good payload of that name clears it. */
	get parseErrors(): Readable<Readonly<Record<string, FeedParseError>>> {
		return this.#parseErrors;
	}

	/** The latest value of one named event; starts listening for that name on the EventSource. */
	channel(name: string): Readable<FeedValue<unknown> | undefined> {
		this.listen([name]);
		return this.#channel(name);
	}

	#channel(name: string): Writable<FeedValue<unknown> | undefined> {
		let channel = this.#channels.get(name);
		if (!channel) {
			channel = writable<FeedValue<unknown> | undefined>(undefined);
			this.#channels.set(name, channel);
		}
		return channel;
	}

	/** Watches more event names, so the watchdog and `lastEventId` see them without a subscriber. */
	listen(names: readonly string[], tell = true): void {
		const added = names.filter((name) => !this.#names.has(name));
		for (const name of added) {
			this.#names.add(name);
			this.#addListener(name);
		}
		// The other tabs learn the name too, so whichever leads listens for it.
		if (tell && added.length) this.#post({ t: 'listen', names: added });
	}

	/** Takes one hold; the first opens the EventSource. */
	retain(): void {
		this.#refs += 1;
		if (this.#refs !== 1) return;
		this.#stopLifecycle = this.#opts.lifecycle?.subscribe((signal) => this.#onSignal(signal));
		this.#dispatch({ type: 'connect' });
		if (this.#opts.tabs) this.#join(this.#opts.tabs);
		else this.#open();
	}

	/** Joins the other tabs on this URL: follows the leader until this tab gets the lock. */
	#join({ locks, BroadcastChannel }: TabSharing): void {
		let url = this.#url;
		try {
			url = new URL(url, globalThis.location?.href).href;
		} catch {
			// A relative URL outside a page: it names the lock as it is.
		}
		const name = `live-feeds ${sharingKey(url, this.#opts)}`;
		const bc = new BroadcastChannel(name);
		const abort = new AbortController();
		let unlock = () => {};
		this.#bc = bc;
		bc.onmessage = (event) => this.#hear(event.data as TabMessage);
		this.#stopTabs = () => {
			abort.abort();
			unlock();
			bc.close();
		};
		locks
			.request(name, { signal: abort.signal }, () =>
				abort.signal.aborted
					? Promise.resolve()
					: new Promise<void>((resolve) => {
							unlock = resolve;
							this.#leader = this.#tabId;
							this.#synced = true;
							this.#post({ t: 'lead' });
							// A stream that ended (closeOn, 204, a fatal answer) stays ended in the new leader.
							if (this.#current.status === 'closed') return;
							this.#dispatch({ type: 'connect' });
							this.#open();
						})
			)
			// Aborted: this tab stopped reading before its turn came.
			.catch(() => {});
		this.#post({ t: 'hello', names: [...this.#names] });
	}

	#leads(): boolean {
		return !this.#bc || this.#leader === this.#tabId;
	}

	#post(message: object): void {
		this.#bc?.postMessage({ ...message, f: this.#tabId });
	}

	#hear(message: TabMessage): void {
		if (message.t === 'hello' || message.t === 'listen') this.listen(message.names, false);
		if (this.#leads()) {
			if (message.t === 'hello') {
				this.#post({ t: 'snapshot', state: this.#current, events: this.#recent });
			}
			if (message.t === 'reconnect') this.reconnect();
		} else if (message.t === 'lead') {
			this.#leader = message.f;
			// Joined while no tab led: the new leader has the history this tab lacks.
			if (!this.#synced) this.#post({ t: 'hello', names: [...this.#names] });
		} else if (message.t === 'snapshot') {
			// Any snapshot will do, also one another joining tab asked for: it is the leader's state
			// and history at that point, and the events after it follow in order.
			if (this.#synced) return;
			this.#leader = message.f;
			this.#synced = true;
			this.#mirror(message.state);
			message.events.forEach((event) => this.#take(event));
		} else if (message.f === this.#leader && this.#synced) {
			if (message.t === 'state') this.#mirror(message.state);
			if (message.t === 'event') this.#take(message.event);
		}
	}

	#mirror(state: ConnectionState): void {
		this.#state.set((this.#current = state));
	}

	/** Keeps an event for tabs that join later (`sharedHistory` of each name), then routes it. */
	#take(event: TabEvent, route = true): void {
		const recent = this.#recent;
		recent.push(event);
		let same = 0;
		for (let index = recent.length; index--;) {
			if (recent[index]?.[0] === event[0] && ++same > this.#opts.sharedHistory) {
				recent.splice(index, 1);
			}
		}
		if (route) this.#deliver(...event);
	}

	/**
	 * Gives one hold back; the last closes the EventSource and forgets the connection, which is
	 * then never retained again (a new hold on its URL makes a new one).
	 */
	release(): void {
		if (this.#refs === 0) return;
		this.#refs -= 1;
		if (this.#refs !== 0) return;
		this.#stopLifecycle?.();
		// Leave the other tabs first: they keep the stream, so they must not hear `closed`.
		this.#stopTabs?.();
		this.#bc = this.#leader = null;
		this.#shutDown({ type: 'closed' });
		this.#onDrop();
	}

	/** Drops whatever is in progress and connects again now, from attempt 0, resuming the stream. */
	reconnect(): void {
		if (this.#refs === 0) return;
		if (!this.#leads()) return this.#post({ t: 'reconnect' });
		this.#dropEventSource();
		this.#dispatch({ type: 'connect' });
		this.#open();
	}

	#dispatch(action: ConnectionAction): void {
		const next = transition(this.#current, action);
		if (next === this.#current) return;
		this.#mirror(next);
		// Followers derive the event bookkeeping themselves; the rest comes from the leader.
		if (action.type !== 'event' && this.#leader === this.#tabId) {
			this.#post({ t: 'state', state: next });
		}
	}

	#resumeUrl(): string {
		const id = this.#current.lastEventId;
		// A resume gets what it missed, not history: without the parameter, a server that predates
		// it resumes at the first try (a new leader tab takes over in one round trip).
		return withLastEventId(id ? withoutHistory(this.#url) : this.#url, id);
	}

	#open(): void {
		this.#generation += 1;
		let es: EventSourceLike;
		try {
			es = new this.#opts.EventSource(this.#resumeUrl(), {
				withCredentials: this.#opts.withCredentials
			});
		} catch (cause) {
			const message = cause instanceof Error ? cause.message : 'cannot open the EventSource';
			this.#shutDown({ type: 'fatal', error: { message, fatal: true } });
			return;
		}
		this.#es = es;
		// A dropped EventSource is closed and its listeners check that it is still the current one,
		// so they are never removed: nothing else holds the old instance.
		es.addEventListener('open', () => {
			if (this.#es !== es) return;
			this.#dispatch({ type: 'open' });
			this.#touch();
		});
		es.addEventListener('error', (event) => {
			if (this.#es === es) this.#onError(es, event);
		});
		for (const name of this.#names) this.#addListener(name);
		this.#touch();
	}

	/** Listens for `name` on the current EventSource; `#names` keeps each name to one listener. */
	#addListener(name: string): void {
		const es = this.#es;
		es?.addEventListener(name, (event) => {
			if (this.#es === es) this.#onMessage(name, event as unknown as FeedMessageEvent);
		});
	}

	#onMessage(name: string, event: FeedMessageEvent): void {
		const relayed: TabEvent = [name, event.data, event.lastEventId];
		if (this.#bc) {
			this.#take(relayed, false);
			this.#post({ t: 'event', event: relayed });
		}
		this.#touch();
		this.#deliver(...relayed);
	}

	/** Routes one event into its store: this tab's EventSource's, or one the leader relayed. */
	#deliver(name: string, data: unknown, lastEventId: string): void {
		const at = this.#opts.now();
		const routed = routeEvent(name, data, lastEventId, at, this.#opts.closeOn);
		this.#dispatch({ type: 'event', id: lastEventId, at });
		if (routed.ok) {
			// Every watched name keeps its latest value, so a late subscriber sees it at once.
			this.#channel(name).set(routed.value);
			this.#parseErrors.update((errors) => {
				if (!(name in errors)) return errors;
				const { [name]: _cleared, ...rest } = errors;
				return rest;
			});
		} else {
			this.#parseErrors.update((errors) => ({ ...errors, [name]: routed.error }));
		}
		// A finished job must not be restarted by the EventSource's own reconnect.
		if (routed.terminal) this.#shutDown({ type: 'closed' });
	}

	#onError(es: EventSourceLike, event: Event): void {
		const detail = event as Event & { code?: unknown; message?: unknown };
		const code = typeof detail.code === 'number' ? detail.code : undefined;
		const message = (typeof detail.message === 'string' && detail.message) || 'connection lost';
		const gaveUp = es.readyState === CLOSED;
		if (!gaveUp && this.#current.attempt === 0) {
			// First failure since the last open: the EventSource retries on its own, honouring `retry:`.
			this.#dispatch({ type: 'retry', error: { message, fatal: false }, nextRetryAt: null });
			return;
		}
		this.#dropEventSource();
		if (!gaveUp || code !== undefined) {
			// Still CONNECTING means a network error: it has no status to learn.
			this.#decide(gaveUp ? code : undefined, null, message);
			return;
		}
		const generation = this.#generation;
		void probeStatus(this.#opts.fetch, this.#resumeUrl(), this.#opts.withCredentials).then(
			(probe) => {
				if (generation !== this.#generation || this.#refs === 0) return;
				const retryAfterMs = parseRetryAfter(probe.retryAfter, this.#opts.now());
				this.#decide(probe.status, retryAfterMs, message);
			}
		);
	}

	#decide(status: number | undefined, retryAfterMs: number | null, message: string): void {
		const plain = withoutHistory(this.#url);
		if (status === 400 && plain !== this.#url) {
			this.#url = plain;
			return this.#open();
		}
		const action = classifyFailure(status);
		if (action === 'done') {
			this.#shutDown({ type: 'closed' });
			return;
		}
		const error: ConnectionError = {
			message: status === undefined || status === 200 ? message : `HTTP ${status}`,
			...(status === undefined ? {} : { status }),
			fatal: action === 'fatal'
		};
		if (action === 'fatal') {
			this.#shutDown({ type: 'fatal', error });
			return;
		}
		const attempt = this.#current.attempt + 1;
		const delay = retryDelay(attempt, this.#opts.policy, this.#opts.random, retryAfterMs ?? 0);
		this.#dispatch({ type: 'retry', error, nextRetryAt: this.#opts.now() + delay });
		this.#timer = this.#opts.timers.setTimeout(() => {
			this.#timer = null;
			this.#dispatch({ type: 'retry-now' });
			this.#open();
		}, delay);
	}

	#touch(): void {
		this.#lastActivityAt = this.#opts.now();
		this.#clearTimer();
		this.#timer = this.#opts.timers.setTimeout(() => {
			this.#timer = null;
			this.#reconnectNow();
		}, 2 * this.#opts.heartbeatMs);
	}

	#onSignal(signal: 'online' | 'visible'): void {
		if (!this.#leads() || this.#refs === 0 || this.#current.status === 'closed') return;
		const stale = isStale(this.#lastActivityAt, this.#opts.now(), 2 * this.#opts.heartbeatMs);
		if (stale || (signal === 'online' && this.#current.status === 'reconnecting')) {
			this.#reconnectNow();
		}
	}

	/** Reconnects at once: a stale stream, the network back, a hidden tab back. */
	#reconnectNow(): void {
		this.#dropEventSource();
		if (this.#current.status === 'reconnecting') {
			this.#dispatch({ type: 'retry-now' });
		} else {
			const seconds = (2 * this.#opts.heartbeatMs) / 1000;
			const error = { message: `no event for ${seconds}s`, fatal: false };
			this.#dispatch({ type: 'retry', error, nextRetryAt: null });
		}
		this.#open();
	}

	#shutDown(action: ConnectionAction): void {
		this.#dropEventSource();
		this.#generation += 1;
		this.#dispatch(action);
	}

	#dropEventSource(): void {
		this.#clearTimer();
		this.#es?.close();
		this.#es = null;
	}

	#clearTimer(): void {
		if (this.#timer !== null) this.#opts.timers.clearTimeout(this.#timer);
		this.#timer = null;
	}
}

const registries = new WeakMap<object, Map<string, SharedConnection>>();

function sharingKey(url: string, opts: ResolvedOptions): string {
	const { closeOn, heartbeatMs, policy, withCredentials } = opts;
	return JSON.stringify([url, [...closeOn].sort(), heartbeatMs, policy, withCredentials]);
}

/**
 * Takes a hold on the connection for `url`, creating it if needed. Sources with the same URL,
 * EventSource implementation and policy share one; the first one's timers and clock are used.
 */
export function acquireConnection(url: string, opts: ResolvedOptions): SharedConnection {
	let registry = registries.get(opts.EventSource);
	if (!registry) registries.set(opts.EventSource, (registry = new Map()));
	const map = registry;
	const key = sharingKey(url, opts);
	let connection = map.get(key);
	// A connection is dropped once, when its last hold goes, and only then can another take its key.
	if (!connection)
		map.set(key, (connection = new SharedConnection(url, opts, () => map.delete(key))));
	connection.listen(opts.listen);
	connection.retain();
	return connection;
}
