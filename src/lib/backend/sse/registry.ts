import { apiFailure, type ApiFailure } from '$lib/shared/errors';
import { encodeEvent, encodePreamble } from '$lib/shared/sse';
import { flushPending } from '../fan-out';
import type { Clock, TimerHandle } from '../timers';
import { SseConnection, toBytes, type CloseReason, type StreamSink } from './connection';

/** Limits and timings of the stream registry. */
export interface StreamLimits {
	/** `retry:` sent first on every stream. */
	retryMs: number;
	/** Idle time after which a stream gets a `ping`. */
	heartbeatMs: number;
	/** Unread bytes a client may leave before it is dropped. */
	clientBufferBytes: number;
	/** How long a client may take no bytes while some wait for it before it is dropped. */
	stallMs: number;
	/** Open streams the whole server accepts (then `503`). */
	maxConnections: number;
	/** Open streams one client address may hold (then `429`). */
	maxConnectionsPerClient: number;
}

/** Hooks the registry reports through (metrics). */
export interface StreamEvents {
	opened?(feed: string, connection: SseConnection): void;
	closed?(feed: string, reason: CloseReason): void;
	pinged?(count: number): void;
}

/** The headers every stream answers with (contract: "Every stream"). */
export const SSE_HEADERS = {
	'content-type': 'text/event-stream; charset=utf-8',
	'cache-control': 'no-cache, no-transform',
	'x-accel-buffering': 'no'
} as const;

/**
 * Every open stream of the process: admission (connection caps, shutdown), the shared heartbeat,
 * the stall check, and shutdown. One sweep timer serves all streams, and only while there are any.
 */
export class StreamRegistry {
	readonly #open = new Map<SseConnection, { feed: string; client: string }>();
	readonly #perClient = new Map<string, number>();
	#sweep: TimerHandle | null = null;
	#shuttingDown = false;

	constructor(
		readonly limits: StreamLimits,
		readonly clock: Clock,
		readonly events: StreamEvents = {}
	) {}

	/** Open streams. */
	get size(): number {
		return this.#open.size;
	}

	/** True after `shutdown()`: new streams are refused with `503`. */
	get shuttingDown(): boolean {
		return this.#shuttingDown;
	}

	/** Open streams per feed. */
	countByFeed(): Map<string, number> {
		const counts = new Map<string, number>();
		for (const { feed } of this.#open.values()) counts.set(feed, (counts.get(feed) ?? 0) + 1);
		return counts;
	}

	/** Checks the caps before a stream is opened; the failure is the contract's `429`/`503`. */
	admit(client: string): ApiFailure | null {
		const retryAfter = { 'retry-after': String(Math.ceil(this.limits.retryMs / 1000) + 1) };
		if (this.#shuttingDown) {
			return apiFailure(
				503,
				'shutting_down',
				'the server is shutting down; reconnect shortly',
				retryAfter
			);
		}
		if (this.#open.size >= this.limits.maxConnections) {
			return apiFailure(503, 'at_capacity', 'the server is at its connection limit', retryAfter);
		}
		if ((this.#perClient.get(client) ?? 0) >= this.limits.maxConnectionsPerClient) {
			return apiFailure(
				429,
				'too_many_connections',
				`at most ${this.limits.maxConnectionsPerClient} open streams per client`,
				retryAfter
			);
		}
		return null;
	}

	/**
	 * Opens a stream for an admitted client: writes the `retry:` preamble at once and calls
	 * `onClose` exactly once, however the stream ends (client gone, dropped as slow, shutdown).
	 */
	open(options: {
		feed: string;
		client: string;
		/** Where the bytes go. Default: a web stream (`connection.stream`). */
		sink?: StreamSink;
		signal?: AbortSignal;
		onClose?: (reason: CloseReason) => void;
	}): SseConnection {
		const { feed, client } = options;
		const connection = new SseConnection({
			maxBufferBytes: this.limits.clientBufferBytes,
			sink: options.sink,
			signal: options.signal,
			now: () => this.clock.now(),
			onClose: (reason) => {
				this.#open.delete(connection);
				const left = (this.#perClient.get(client) ?? 1) - 1;
				if (left > 0) this.#perClient.set(client, left);
				else this.#perClient.delete(client);
				if (this.#open.size === 0) {
					this.clock.clear(this.#sweep);
					this.#sweep = null;
				}
				this.events.closed?.(feed, reason);
				options.onClose?.(reason);
			}
		});
		this.#open.set(connection, { feed, client });
		this.#perClient.set(client, (this.#perClient.get(client) ?? 0) + 1);
		this.#sweep ??= this.clock.interval(() => this.sweep(), this.#sweepEvery());
		this.events.opened?.(feed, connection);
		connection.write(toBytes(encodePreamble(this.limits.retryMs)));
		return connection;
	}

	/**
	 * The sweep: drops every stream that has taken no bytes for `stallMs` while some waited, and
	 * sends a `ping` (no id) to every stream idle for at least `heartbeatMs`.
	 */
	sweep(): void {
		const now = this.clock.now();
		let ping: Uint8Array | null = null;
		let count = 0;
		for (const connection of [...this.#open.keys()]) {
			if (connection.checkStall(now, this.limits.stallMs)) continue;
			if (now - connection.lastWriteAt < this.limits.heartbeatMs) continue;
			ping ??= toBytes(encodeEvent({ event: 'ping', data: { epoch_ms: now } }));
			if (connection.write(ping)) count++;
		}
		if (count > 0) this.events.pinged?.(count);
	}

	/**
	 * Refuses new streams, then closes every open one with a jittered `retry:` so clients come
	 * back spread out (to this or another instance) instead of all at once.
	 */
	shutdown(random: () => number = Math.random): void {
		this.#shuttingDown = true;
		// Events queued this turn go out before the streams close.
		flushPending();
		for (const connection of [...this.#open.keys()]) {
			connection.close(
				'shutdown',
				this.limits.retryMs + Math.floor(random() * this.limits.retryMs * 2)
			);
		}
	}

	/** Ends every open stream (clients reconnect after their `retry`), without refusing new ones. */
	closeAll(reason: CloseReason = 'end'): void {
		for (const connection of [...this.#open.keys()]) connection.close(reason);
	}

	// Sweeping at a quarter of the heartbeat (or the stall limit) keeps a ping within 25% of
	// SSE_HEARTBEAT_MS of idling, and a stalled client within 25% of SSE_STALL_MS of its limit.
	#sweepEvery(): number {
		const shortest = Math.min(this.limits.heartbeatMs, this.limits.stallMs);
		return Math.max(50, Math.min(1000, Math.floor(shortest / 4)));
	}
}

/** The streaming `Response` for a connection, with the contract's headers plus any extra. */
export function streamResponse(
	connection: SseConnection,
	headers: Record<string, string> = {}
): Response {
	return new Response(connection.stream, { status: 200, headers: { ...SSE_HEADERS, ...headers } });
}
