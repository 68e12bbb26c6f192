/**
 * The direct path's sink: an SSE stream written straight onto Node's `ServerResponse`, with no
 * web stream, promise or copy between an event's shared bytes and the socket. Unread bytes are the
 * response's `writableLength` (what the kernel has not taken yet).
 */
import type { ServerResponse } from 'node:http';
import type { SinkEvents, StreamSink } from '$lib/backend/sse/sink';

/** A `StreamSink` over a Node response whose headers have been written. */
export class NodeResponseSink implements StreamSink {
	readonly #res: ServerResponse;

	constructor(res: ServerResponse) {
		this.#res = res;
	}

	get pending(): number {
		return this.#res.writableLength;
	}

	bind(events: SinkEvents): void {
		this.#res.on('drain', events.pull);
		this.#res.once('close', events.gone);
	}

	write(bytes: Uint8Array): boolean {
		const res = this.#res;
		if (res.destroyed || res.writableEnded) return false;
		res.write(bytes);
		return true;
	}

	end(): void {
		if (!this.#res.writableEnded) this.#res.end();
	}

	abort(): void {
		// destroy() drops what Node still holds for the client and closes the socket.
		this.#res.destroy();
	}

	cork(): void {
		this.#res.cork();
	}

	uncork(): void {
		this.#res.uncork();
	}
}
