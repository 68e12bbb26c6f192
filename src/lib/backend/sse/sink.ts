/**
 * Where one connection's bytes go. Two sinks share one `SseConnection` (byte budget, slow-client
 * drop, replay, stall check): a web `ReadableStream` for the endpoints path and the mock, and a
 * Node `ServerResponse` for the production server's direct path (server/direct/node-sink.ts).
 */

/** What a sink tells its connection. */
export interface SinkEvents {
	/** The client took bytes and there is room again (a replay goes on). */
	pull(): void;
	/** The client went away. */
	gone(): void;
}

/** The transport of one SSE stream. */
export interface StreamSink {
	/** Bytes handed over but not yet taken by the client. */
	readonly pending: number;
	/** Hands bytes over; false when the transport has gone. */
	write(bytes: Uint8Array): boolean;
	/** Ends the stream after what is pending. */
	end(): void;
	/** Ends the stream at once and discards what is pending (a dropped client). */
	abort(reason: Error): void;
	/** Called once by the connection, before any write. */
	bind(events: SinkEvents): void;
	/** Holds writes until `uncork`, so they leave together. */
	cork?(): void;
	/** Lets held writes go. */
	uncork?(): void;
}

/** A sink that is the body of a web `Response`; its queue counts bytes up to `highWaterMark`. */
export class WebStreamSink implements StreamSink {
	/** The response body. */
	readonly stream: ReadableStream<Uint8Array>;
	#controller!: ReadableStreamDefaultController<Uint8Array>;
	#events: SinkEvents | null = null;
	#open = true;
	readonly #highWaterMark: number;

	constructor(highWaterMark: number) {
		this.#highWaterMark = highWaterMark;
		this.stream = new ReadableStream<Uint8Array>(
			{
				start: (controller) => {
					this.#controller = controller;
				},
				pull: () => this.#events?.pull(),
				cancel: () => {
					this.#open = false;
					this.#events?.gone();
				}
			},
			{ highWaterMark, size: (chunk) => chunk.byteLength }
		);
	}

	get pending(): number {
		if (!this.#open) return 0;
		return Math.max(0, this.#highWaterMark - (this.#controller.desiredSize ?? 0));
	}

	bind(events: SinkEvents): void {
		this.#events = events;
	}

	write(bytes: Uint8Array): boolean {
		if (!this.#open) return false;
		try {
			this.#controller.enqueue(bytes);
			return true;
		} catch {
			this.#open = false;
			return false;
		}
	}

	end(): void {
		if (!this.#open) return;
		this.#open = false;
		try {
			this.#controller.close();
		} catch {
			// Already closed or errored by the HTTP layer: nothing left to flush.
		}
	}

	abort(reason: Error): void {
		this.#open = false;
		try {
			// error() discards the queue at once.
			this.#controller.error(reason);
		} catch {
			// Already errored.
		}
	}
}
