/**
 * One live `EventSource` connection, shared by reference count between every source on the same
 * URL (and policy). It wires the pure parts together: routing, the backoff schedule, the state
 * reducer, the staleness watchdog and the browser's `online`/`visible` signals.
 *
 * Reconnect policy: when the stream drops, the EventSource's own reconnect runs first (it honours
 * the server's `retry:` and sends `Last-Event-ID`). When that fails again, or the EventSource gives
 * up (CLOSED: any non-200 answer), this class takes over: it learns the HTTP status (the error's
 * `code` from the `eventsource` package, else a `fetch` probe), then retries with backoff or stops.
 */
import { writable, type Readable, type Writable } from 'svelte/store';
import { classifyFailure, parseRetryAfter, retryDelay } from './backoff';
import {
	initialConnectionState,
	isStale,
	transition,
	type ConnectionAction
} from './connection-state';
import { probeStatus, type ResolvedOptions } from './environment';
import { routeEvent, withLastEventId } from './routing';
import type {
	ConnectionError,
	ConnectionState,
	EventSourceLike,
	FeedMessageEvent,
	FeedParseError,
	FeedValue
} from './types';

const CLOSED = 2;

/** A live connection to one URL; created and shared through {@link acquireConnection}. */
export class SharedConnection {
	readonly #url: string;
	readonly #opts: ResolvedOptions;
	readonly #onDrop: () => void;
	readonly #state: Writable<ConnectionState>;
	readonly #channels = new Map<string, Writable<FeedValue<unknown> | undefined>>();
	readonly #parseErrors = writable<Readonly<Record<string, FeedParseError>>>({});
	readonly #names = new Set<string>(['ping']);
	#current = initialConnectionState();
	#refs = 0;
	#es: EventSourceLike | null = null;
	#esListeners = new Map<string, (event: Event) => void>();
	#generation = 0;
	#retryTimer: unknown = null;
	#watchdogTimer: unknown = null;
	#lastActivityAt = 0;
	#stopLifecycle: (() => void) | null = null;

	constructor(url: string, opts: ResolvedOptions, onDrop: () => void) {
		this.#url = url;
		this.#opts = opts;
		this.#onDrop = onDrop;
		this.#state = writable(this.#current);
		for (const name of [...opts.closeOn, ...opts.listen]) this.#names.add(name);
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
	listen(names: readonly string[]): void {
		for (const name of names) {
			if (this.#names.has(name)) continue;
			this.#names.add(name);
			this.#addListener(name);
		}
	}

	/** Takes one hold; the first opens the EventSource. */
	retain(): void {
		this.#refs += 1;
		if (this.#refs !== 1) return;
		this.#stopLifecycle =
			this.#opts.lifecycle?.subscribe((signal) => this.#onSignal(signal)) ?? null;
		this.#dispatch({ type: 'connect' });
		this.#open();
	}

	/** Gives one hold back; the last closes the EventSource and forgets the connection. */
	release(): void {
		if (this.#refs === 0) return;
		this.#refs -= 1;
		if (this.#refs !== 0) return;
		this.#stopLifecycle?.();
		this.#stopLifecycle = null;
		this.#shutDown({ type: 'closed' });
		this.#onDrop();
	}

	/** Drops whatever is in progress and connects again now, from attempt 0, resuming the stream. */
	reconnect(): void {
		if (this.#refs === 0) return;
		this.#dropEventSource();
		this.#dispatch({ type: 'connect' });
		this.#open();
	}

	#dispatch(action: ConnectionAction): void {
		const next = transition(this.#current, action);
		if (next === this.#current) return;
		this.#current = next;
		this.#state.set(next);
	}

	#now(): number {
		return this.#opts.now();
	}

	#resumeUrl(): string {
		return withLastEventId(this.#url, this.#current.lastEventId);
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
		this.#esListeners = new Map();
		const onOpen = () => {
			if (this.#es !== es) return;
			this.#dispatch({ type: 'open' });
			this.#touch();
		};
		const onError = (event: Event) => {
			if (this.#es === es) this.#onError(es, event);
		};
		es.addEventListener('open', onOpen);
		es.addEventListener('error', onError);
		this.#esListeners.set('open', onOpen);
		this.#esListeners.set('error', onError);
		for (const name of this.#names) this.#addListener(name);
		this.#touch();
	}

	#addListener(name: string): void {
		const es = this.#es;
		if (!es || this.#esListeners.has(name)) return;
		const listener = (event: Event) => {
			if (this.#es === es) this.#onMessage(name, event as unknown as FeedMessageEvent);
		};
		es.addEventListener(name, listener);
		this.#esListeners.set(name, listener);
	}

	#onMessage(name: string, event: FeedMessageEvent): void {
		const at = this.#now();
		const lastEventId = event.lastEventId ?? '';
		const routed = routeEvent(name, event.data, lastEventId, at, this.#opts.closeOn);
		this.#touch();
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
		const message =
			typeof detail.message === 'string' && detail.message !== ''
				? detail.message
				: 'connection lost';
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
				const retryAfterMs = parseRetryAfter(probe.retryAfter, this.#now());
				this.#decide(probe.status, retryAfterMs, message);
			}
		);
	}

	#decide(status: number | undefined, retryAfterMs: number | null, message: string): void {
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
		this.#dispatch({ type: 'retry', error, nextRetryAt: this.#now() + delay });
		this.#retryTimer = this.#opts.timers.setTimeout(() => {
			this.#retryTimer = null;
			this.#dispatch({ type: 'retry-now' });
			this.#open();
		}, delay);
	}

	#touch(): void {
		this.#lastActivityAt = this.#now();
		this.#clearTimer('watchdog');
		const staleMs = 2 * this.#opts.heartbeatMs;
		this.#watchdogTimer = this.#opts.timers.setTimeout(() => {
			this.#watchdogTimer = null;
			this.#reconnectNow();
		}, staleMs);
	}

	#onSignal(signal: 'online' | 'visible'): void {
		if (this.#refs === 0 || this.#current.status === 'closed') return;
		const stale = isStale(this.#lastActivityAt, this.#now(), 2 * this.#opts.heartbeatMs);
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
		this.#clearTimer('retry');
		this.#clearTimer('watchdog');
		const es = this.#es;
		if (!es) return;
		this.#es = null;
		for (const [name, listener] of this.#esListeners) es.removeEventListener(name, listener);
		this.#esListeners = new Map();
		es.close();
	}

	#clearTimer(which: 'retry' | 'watchdog'): void {
		const handle = which === 'retry' ? this.#retryTimer : this.#watchdogTimer;
		if (handle === null) return;
		this.#opts.timers.clearTimeout(handle);
		if (which === 'retry') this.#retryTimer = null;
		else this.#watchdogTimer = null;
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
	if (!registry) {
		registry = new Map();
		registries.set(opts.EventSource, registry);
	}
	const key = sharingKey(url, opts);
	let connection = registry.get(key);
	if (!connection) {
		const map = registry;
		const created: SharedConnection = new SharedConnection(url, opts, () => {
			if (map.get(key) === created) map.delete(key);
		});
		connection = created;
		registry.set(key, connection);
	}
	connection.listen(opts.listen);
	connection.retain();
	return connection;
}
