import { encodeEvent } from '$lib/shared/sse';

/** Why a connection ended; counted in `/metrics`. */
export type CloseReason = 'client' | 'slow' | 'end' | 'shutdown';

/** Options of one SSE connection. */
export interface SseConnectionOptions {
	/** Bytes a client may leave unread before it is dropped as slow. */
	maxBufferBytes: number;
	/** Called once, whatever ends the connection. */
	onClose?: (reason: CloseReason) => void;
	/** Aborts the connection when the request goes away. */
	signal?: AbortSignal;
	/** The clock used for `lastWriteAt`. */
	now?: () => number;
}

const encoder = new TextEncoder();

/** UTF-8 bytes of an encoded event; encode once, write the same bytes to every subscriber. */
export function toBytes(text: string): Uint8Array {
	return encoder.encode(text);
}

/**
 * One client's `text/event-stream` body. Writes go into a byte-counted queue; a client that lets
 * more than `maxBufferBytes` pile up is dropped rather than allowed to grow server memory.
 * A backlog (a replay) is pulled lazily, only as fast as the client reads, and fills at most half
 * the budget, so a long replay never counts against the live events that follow it.
 * After close every write is a no-op, so a late producer cannot throw.
 */
export class SseConnection {
	/** The response body. */
	readonly stream: ReadableStream<Uint8Array>;
	/** When bytes were last queued (for heartbeats). */
	lastWriteAt: number;
	/** Bytes queued in total. */
	bytesWritten = 0;

	#controller!: ReadableStreamDefaultController<Uint8Array>;
	#closed = false;
	#backlog: { next(): Uint8Array | null; done(): void } | null = null;
	readonly #options: SseConnectionOptions;
	readonly #now: () => number;

	constructor(options: SseConnectionOptions) {
		this.#options = options;
		this.#now = options.now ?? Date.now;
		this.lastWriteAt = this.#now();
		this.stream = new ReadableStream<Uint8Array>(
			{
				start: (controller) => {
					this.#controller = controller;
				},
				pull: () => this.#pump(),
				cancel: () => this.#finish('client')
			},
			{ highWaterMark: options.maxBufferBytes, size: (chunk) => chunk.byteLength }
		);
		if (options.signal?.aborted) queueMicrotask(() => this.#finish('client'));
		options.signal?.addEventListener('abort', () => this.#finish('client'), { once: true });
	}

	/** True once the connection has ended for any reason. */
	get closed(): boolean {
		return this.#closed;
	}

	/** Bytes queued but not yet taken by the HTTP layer. */
	get bufferedBytes(): number {
		if (this.#closed) return 0;
		return Math.max(0, this.#options.maxBufferBytes - (this.#controller.desiredSize ?? 0));
	}

	/** True while a backlog is being replayed; live writes wait for it. */
	get replaying(): boolean {
		return this.#backlog !== null;
	}

	/** Queues bytes; drops the client (and returns false) when its unread bytes would pass the cap. */
	write(bytes: Uint8Array): boolean {
		if (this.#closed) return false;
		if (this.bufferedBytes + bytes.byteLength > this.#options.maxBufferBytes) {
			this.#drop();
			return false;
		}
		this.#enqueue(bytes);
		return true;
	}

	/**
	 * Replays a backlog: `next()` is called while the client has room and returns the next chunk,
	 * or null when the backlog is exhausted; then `done()` runs (typically: go live).
	 */
	replay(backlog: { next(): Uint8Array | null; done(): void }): void {
		if (this.#closed) return;
		this.#backlog = backlog;
		this.#pump();
	}

	/** Ends the stream after what is queued; `retryMs` first tells the client when to come back. */
	close(reason: CloseReason = 'end', retryMs?: number): void {
		if (this.#closed) return;
		if (retryMs !== undefined) this.#enqueue(toBytes(encodeEvent({ retry: Math.round(retryMs) })));
		this.#finish(reason);
		try {
			this.#controller.close();
		} catch {
			// Already closed or errored by the HTTP layer: nothing left to flush.
		}
	}

	#enqueue(bytes: Uint8Array): void {
		try {
			this.#controller.enqueue(bytes);
			this.lastWriteAt = this.#now();
			this.bytesWritten += bytes.byteLength;
		} catch {
			this.#finish('client');
		}
	}

	#pump(): void {
		// A replay fills only half the budget, so the live event (or ping) that follows it always
		// has room: a client that keeps reading is never dropped because of its own replay.
		const reserve = this.#options.maxBufferBytes / 2;
		while (this.#backlog && !this.#closed && this.bufferedBytes < reserve) {
			const chunk = this.#backlog.next();
			if (chunk === null) {
				const { done } = this.#backlog;
				this.#backlog = null;
				done();
				return;
			}
			this.#enqueue(chunk);
		}
	}

	#drop(): void {
		this.#finish('slow');
		try {
			// error() discards the queue at once, so a stalled client's bytes are freed now.
			this.#controller.error(new Error('client too slow: unread buffer over the limit'));
		} catch {
			// Already errored.
		}
	}

	#finish(reason: CloseReason): void {
		if (this.#closed) return;
		this.#closed = true;
		this.#backlog = null;
		this.#options.onClose?.(reason);
	}
}
