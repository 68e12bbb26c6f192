/**
 * The direct path's sink: an SSE stream written straight onto the client's socket, with no web
 * stream, promise or copy between an event's shared bytes and the kernel. The response goes out
 * without chunked framing (its body ends when the connection closes, as an event stream does
 * anyway), so once the headers are on the socket, a write is one `socket.write` of the shared
 * bytes: no chunk-size line, no auto-cork and no `nextTick` per write, and the kernel gets the
 * bytes in the same turn. Unread bytes are the socket's `writableLength`.
 */
import type { Socket } from 'node:net';
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { SinkEvents, StreamSink } from '$lib/backend/sse/sink';

/**
 * Sends a stream's status and headers at once, unchunked, so that the body may be written to the
 * socket directly. `Connection: close` follows: an event stream's connection is never reused.
 */
export function startEventStream(res: ServerResponse, headers: OutgoingHttpHeaders): void {
	res.useChunkedEncodingByDefault = false;
	res.writeHead(200, headers);
	res.flushHeaders();
}

/** A `StreamSink` over a Node response started by `startEventStream`. */
export class NodeResponseSink implements StreamSink {
	readonly #res: ServerResponse;
	/**
	 * Where the body goes: the socket once the headers are on it. A response queued behind a
	 * pipelined one has no socket yet; it goes through `res`, which keeps the order.
	 */
	readonly #out: Socket | ServerResponse;

	constructor(res: ServerResponse) {
		this.#res = res;
		this.#out = res.socket && !res.socket.destroyed ? res.socket : res;
	}

	get pending(): number {
		return this.#out.writableLength;
	}

	bind(events: SinkEvents): void {
		this.#out.on('drain', events.pull);
		this.#res.once('close', events.gone);
	}

	write(bytes: Uint8Array): boolean {
		const out = this.#out;
		if (out.destroyed || out.writableEnded || this.#res.writableEnded) return false;
		out.write(bytes);
		return true;
	}

	end(): void {
		// The response ends after what the socket holds; Node then closes the connection.
		if (!this.#res.writableEnded) this.#res.end();
	}

	abort(): void {
		// destroy() drops what Node still holds for the client and closes the socket.
		this.#res.destroy();
	}

	cork(): void {
		this.#out.cork();
	}

	uncork(): void {
		this.#out.uncork();
	}
}
