/**
 * A feed of your own, served through the same machinery as the built-in ones: a hub (the producer
 * runs only while someone listens, events are encoded once, `Last-Event-ID` resumes from the
 * replay buffer) and the process's stream registry (connection caps, heartbeats, shutdown).
 */
import { parseEventId, parseHistory } from '$lib/shared/validate';
import {
	endpoint,
	streamEndpoint,
	type FeedRequest,
	type StreamRoute
} from '$lib/backend/endpoints';
import { applyCors } from '$lib/backend/http';
import type { Hub, Producer } from '$lib/backend/hub';
import type { Backend } from '$lib/backend/backend';
import type { Clock } from '$lib/backend/timers';
import { ConfigError } from './config';
import { getBackend } from './backend';

/** A producer, or a function that makes one from the server's clock (so its timers are counted). */
export type ProducerSource<T> = Producer<T> | ((clock: Clock) => Producer<T>);

/** Options of `createFeed`. */
export interface CustomFeedOptions<T> {
	/** Letters, digits, `-` and `_`: the feed's label in `/metrics` and its hub's topic. */
	name: string;
	/** Makes the feed's events; started with the first client and stopped after the last. */
	producer: ProducerSource<T>;
	/** The server whose streams, bus and clock the feed shares. Default: `getBackend()`. */
	backend?: Backend | (() => Backend);
	/** Origins allowed to read the feed cross-origin. Default: that server's `ALLOWED_ORIGINS`. */
	allowedOrigins?: readonly string[];
}

/** A feed made by `createFeed`. */
export interface CustomFeed<T> {
	/** The feed's name. */
	readonly name: string;
	/** The `GET` handler of its `+server.ts`: `export const GET = feed.GET;`. */
	readonly GET: (event: FeedRequest) => Promise<Response>;
	/** The feed's hub, created on first use (publish-side access for tests and metrics). */
	hub(): Hub<T>;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/**
 * Serves a feed of your own as an SSE stream with the contract's behaviour: `retry:` first,
 * heartbeats, resume by `Last-Event-ID`, a snapshot on connect, JSON errors, CORS.
 * @example
 * // src/routes/api/feeds/visitors/+server.ts
 * const visitors = createFeed({
 * 	name: 'visitors',
 * 	producer: intervalProducer({ intervalMs: 1000, next: (now) => ({ count: 3, epoch_ms: now }) })
 * });
 * export const GET = visitors.GET;
 */
export function createFeed<T>(options: CustomFeedOptions<T>): CustomFeed<T> {
	if (!NAME.test(options.name)) {
		throw new ConfigError(
			`feed name must be 1-64 letters, digits, '-' or '_', got '${options.name}'`
		);
	}
	const { name } = options;
	const resolveBackend = () =>
		typeof options.backend === 'function' ? options.backend() : (options.backend ?? getBackend());
	// Made on the first request, not at import: SvelteKit imports every +server.ts while building.
	let hub: Hub<T> | null = null;
	const hubOf = (backend: Backend): Hub<T> =>
		(hub ??= backend.hub(`custom:${name}`, producerOf(options.producer, backend.clock), {
			label: name
		}));

	const route: StreamRoute = {
		allowed: ['lastEventId', 'history'],
		plan({ query }, backend) {
			const history = parseHistory(query.get('history'));
			if (!history.ok) return history;
			const target = hubOf(backend);
			return {
				feed: name,
				attach: (connection, id) =>
					target.join(connection, { lastEventId: parseEventId(id), history: history.value })
			};
		}
	};
	const serve = endpoint((event, backend) => streamEndpoint(route, event, backend), resolveBackend);

	return {
		name,
		hub: () => hubOf(resolveBackend()),
		async GET(event) {
			const backend = resolveBackend();
			const response = await serve(event, backend);
			const allowed = options.allowedOrigins ?? backend.config.allowedOrigins;
			return applyCors(response, event.request.headers.get('origin'), allowed);
		}
	};
}

function producerOf<T>(source: ProducerSource<T>, clock: Clock): Producer<T> {
	return typeof source === 'function' ? source(clock) : source;
}

/** Options of `intervalProducer`. */
export interface IntervalProducerOptions<T> {
	/** Time between events, in ms. */
	intervalMs: number;
	/** Makes the next value; `now` is the server clock's epoch ms. May return a promise. */
	next: (now: number) => T | Promise<T>;
	/** SSE event name. Default `'message'` (the unnamed event). */
	event?: string;
	/** Emit a value as soon as the first client joins, not one interval later. Default true. */
	immediate?: boolean;
	/** Called when `next` throws or rejects; that tick is skipped. Default: logs the error. */
	onError?: (error: unknown) => void;
}

/**
 * A producer that polls `next` every `intervalMs` while the feed has clients; the last value
 * sent is the snapshot a new client gets at once.
 */
export function intervalProducer<T>(
	options: IntervalProducerOptions<T>
): (clock: Clock) => Producer<T> {
	const event = options.event ?? 'message';
	const onError =
		options.onError ?? ((error: unknown) => console.error('[live-feeds] producer failed:', error));
	return (clock) => {
		return {
			start(emit) {
				let stopped = false;
				const tick = () => {
					// `next` is called synchronously so its `now` is the tick's time, not a later one.
					let value: T | Promise<T>;
					try {
						value = options.next(clock.now());
					} catch (error) {
						onError(error);
						return;
					}
					Promise.resolve(value).then((resolved) => {
						if (!stopped) emit(event, resolved);
					}, onError);
				};
				if (options.immediate ?? true) tick();
				const timer = clock.interval(tick, options.intervalMs);
				return () => {
					stopped = true;
					clock.clear(timer);
				};
			}
		};
	};
}
