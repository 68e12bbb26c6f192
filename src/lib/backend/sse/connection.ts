import { encodeEvent } from '$lib/shared/sse';
import { WebStreamSink, type StreamSink } from './sink';

export type { StreamSink };

/** Why a connection ended; counted in `/metrics`. */
export type CloseReason = 'client' | 'slow' | 'stalled' | 'end' | 'shutdown';

/** Options of one SSE connection. */
export interface SseConnectionOptions {
	/** Bytes a client may leave unread before it is dropped as slow. */
	maxBufferBytes: number;
	/** Where the bytes go. Default: a new `WebStreamSink` (a `ReadableStream` body). */
	sink?: StreamSink;
	/** Called once, whatever ends the connection. */
	onClose?: (reason: CloseReason) => void;
	/** Aborts the connection when the request goes away. */
	signal?: AbortSignal;
	/** The clock used for `lastWriteAt` and stall detection. Default `Date.now`. */
	now?: () => number;
}

const encoder = new TextEncoder();

/** UTF-8 bytes of an encoded event; encode once, write the same bytes to every subscriber. */
export function toBytes(text: string): Uint8Array {
	return encoder.encode(text);
}

/**
 * A lazily read backlog (a replay): `next()` gives the next chunk, null at the end (then `done()`
 * runs), or undefined while the rest is still being fetched (then the owner calls `resume()`).
 */
export interface Backlog {
	next(): Uint8Array | null | undefined;
	done(): void;
}

/**
 * One client's `text/event-stream`, over a sink (a web `ReadableStream` or a Node response).
 * Every write is counted against `maxBufferBytes` of unread bytes; a client past it is dropped
 * rather than allowed to grow server memory. A backlog (a replay) is pulled lazily, only as fast
 * as the client reads, and fills at most half the budget, so a long replay never counts against
 * the live events that follow it. After close every write is a no-op, so a late producer cannot
 * throw.
 */
export class SseConnection {
	/** Where the bytes go. */
	readonly sink: StreamSink;
	/** When bytes were last written (for heartbeats). */
	lastWriteAt: number;
	/** Bytes written in total. */
	bytesWritten = 0;
	/** Position of the newest event this client has (an arrival order); fan-out skips older ones. */
	seen = 0;

	#closed = false;
	#backlog: Backlog | null = null;
	/** Bytes the client had taken at the last stall check, and when that number last grew. */
	#taken = 0;
	#progressAt: number;
	readonly #maxBufferBytes: number;
	readonly #onClose?: (reason: CloseReason) => void;
	readonly #now: () => number;

	constructor(options: SseConnectionOptions) {
		this.#maxBufferBytes = options.maxBufferBytes;
		this.#onClose = options.onClose;
		this.#now = options.now ?? Date.now;
		this.lastWriteAt = this.#progressAt = this.#now();
		this.sink = options.sink ?? new WebStreamSink(options.maxBufferBytes);
		this.sink.bind({ pull: () => this.#pump(), gone: () => this.#finish('client') });
		if (options.signal?.aborted) queueMicrotask(() => this.#finish('client'));
		options.signal?.addEventListener('abort', () => this.#finish('client'), { once: true });
	}

	/** The response body, when the sink is a web stream (the endpoints path and the mock). */
	get stream(): ReadableStream<Uint8Array> {
		if (!(this.sink instanceof WebStreamSink)) throw new Error('not a web-stream connection');
		return this.sink.stream;
	}

	/** True once the connection has ended for any reason. */
	get closed(): boolean {
		return this.#closed;
	}

	/** Bytes written but not yet taken by the client. */
	get bufferedBytes(): number {
		return this.#closed ? 0 : this.sink.pending;
	}

	/** True while a backlog is being replayed; live writes wait for it. */
	get replaying(): boolean {
		return this.#backlog !== null;
	}

	/** Writes bytes; drops the client (and returns false) when its unread bytes would pass the cap. */
	write(bytes: Uint8Array): boolean {
		if (this.#closed) return false;
		if (this.sink.pending + bytes.byteLength > this.#maxBufferBytes) {
			this.#drop('slow');
			return false;
		}
		return this.#send(bytes);
	}

	/**
	 * Replays a backlog: `next()` is called while the client has room and returns the next chunk,
	 * or null when the backlog is exhausted; then `done()` runs (typically: go live).
	 */
	replay(backlog: Backlog): void {
		if (this.#closed) return;
		this.#backlog = backlog;
		this.#pump();
	}

	/** Goes on with a backlog whose `next()` said its rest was still being fetched. */
	resume(): void {
		this.#pump();
	}

	/**
	 * Drops the client when bytes have waited for it and it has taken none for `stallMs`.
	 * Called by the registry's sweep, so no connection needs a timer of its own.
	 */
	checkStall(now: number, stallMs: number): boolean {
		if (this.#closed) return false;
		const pending = this.sink.pending;
		const taken = this.bytesWritten - pending;
		if (pending === 0 || taken > this.#taken) {
			this.#taken = taken;
			this.#progressAt = now;
			return false;
		}
		if (now - this.#progressAt < stallMs) return false;
		this.#drop('stalled');
		return true;
	}

	/** Ends the stream after what is written; `retryMs` first tells the client when to come back. */
	close(reason: CloseReason = 'end', retryMs?: number): void {
		if (this.#closed) return;
		if (retryMs !== undefined) this.#send(toBytes(encodeEvent({ retry: Math.round(retryMs) })));
		this.#finish(reason);
		this.sink.end();
	}

	#send(bytes: Uint8Array): boolean {
		if (!this.sink.write(bytes)) {
			this.#finish('client');
			return false;
		}
		this.lastWriteAt = this.#now();
		this.bytesWritten += bytes.byteLength;
		return true;
	}

	#pump(): void {
		// A replay fills only half the budget, so the live event (or ping) that follows it always
		// has room: a client that keeps reading is never dropped because of its own replay.
		const reserve = this.#maxBufferBytes / 2;
		if (!this.#backlog || this.#closed) return;
		this.sink.cork?.();
		try {
			while (this.#backlog && !this.#closed && this.sink.pending < reserve) {
				const chunk = this.#backlog.next();
				if (chunk === undefined) return;
				if (chunk === null) {
					const { done } = this.#backlog;
					this.#backlog = null;
					done();
					return;
				}
				this.#send(chunk);
			}
		} finally {
			this.sink.uncork?.();
		}
	}

	#drop(reason: 'slow' | 'stalled'): void {
		this.#finish(reason);
		// Discards what is queued at once, so a stalled client's bytes are freed now.
		this.sink.abort(
			new Error(
				reason === 'slow'
					? 'client too slow: unread buffer over the limit'
					: 'client stalled: took no bytes within the stall limit'
			)
		);
	}

	#finish(reason: CloseReason): void {
		if (this.#closed) return;
		this.#closed = true;
		this.#backlog = null;
		this.#onClose?.(reason);
	}
}
