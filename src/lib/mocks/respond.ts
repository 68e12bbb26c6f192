/**
 * Building responses exactly as the contract fixes them: the stream headers and preamble, the
 * heartbeat, and the JSON error bodies. Streams are plain `Response`s around a `ReadableStream`
 * encoded with the shared SSE encoder (see handlers.ts for why not msw's `sse()`).
 */
import { encodeEvent, encodePreamble, type ApiFailure, type SseMessage } from '$lib/shared';

/** The headers of every stream, as the contract lists them. */
export const STREAM_HEADERS: Readonly<Record<string, string>> = {
	'Content-Type': 'text/event-stream; charset=utf-8',
	'Cache-Control': 'no-cache, no-transform',
	'X-Accel-Buffering': 'no'
};

/** `Vary: Origin` on every answer, plus the CORS header when the request's origin is allowed. */
export function corsHeaders(request: Request, allowedOrigins: readonly string[]): Headers {
	const headers = new Headers({ Vary: 'Origin' });
	const origin = request.headers.get('origin');
	if (origin && allowedOrigins.includes(origin)) {
		headers.set('Access-Control-Allow-Origin', origin);
	}
	return headers;
}

function withHeaders(base: Headers, extra: Record<string, string> | undefined): Headers {
	for (const [name, value] of Object.entries(extra ?? {})) base.set(name, value);
	return base;
}

/** A JSON answer (`application/json`, as SvelteKit's `json()` sends it). */
export function jsonResponse(
	status: number,
	body: unknown,
	headers: Headers,
	extra?: Record<string, string>
): Response {
	const all = withHeaders(headers, { 'Content-Type': 'application/json', ...extra });
	return new Response(JSON.stringify(body), { status, headers: all });
}

/** The contract's error answer for a rejected request. */
export function failureResponse(failure: ApiFailure, headers: Headers): Response {
	return jsonResponse(failure.status, failure.body, headers, failure.headers);
}

/** The writing end of one open stream. */
export interface StreamSink {
	/** Encodes and writes one event (ignored once closed). */
	send(message: SseMessage): void;
	/** Writes text that is already encoded. */
	write(text: string): void;
	/** Ends the stream; the client will reconnect after `retry`. */
	close(): void;
	/** Runs `fn` once when the stream ends, whoever ends it. */
	onClose(fn: () => void): void;
	readonly closed: boolean;
}

/** Options of one stream. */
export interface StreamOptions {
	retryMs: number;
	heartbeatMs: number;
	now: () => number;
	/** Called once the preamble is out, to send the snapshot or replay and subscribe. */
	open: (sink: StreamSink) => void;
	/** Called when the mock itself ends the stream (not the client), with the last id it sent. */
	onServerClose?: (lastId: string | null) => void;
}

const ID_LINE = /(?:^|\n)id: ([^\n]*)\n/g;

/**
 * Opens a stream: the `retry:` line and a comment go out at once, then whatever `open` writes.
 * A named `ping` (no id) is sent whenever the stream has been idle for `heartbeatMs`. The stream
 * ends when the client goes away (cancel or abort) or when `close()` is called.
 */
export function streamResponse(
	request: Request,
	headers: Headers,
	options: StreamOptions
): Response {
	const encoder = new TextEncoder();
	const cleanups: (() => void)[] = [];
	let controller: ReadableStreamDefaultController<Uint8Array> | null = null;
	let heartbeat: ReturnType<typeof setTimeout> | undefined;
	let closed = false;
	let lastId: string | null = null;

	const finish = (closeController: boolean) => {
		if (closed) return;
		closed = true;
		clearTimeout(heartbeat);
		for (const fn of cleanups.splice(0)) fn();
		if (closeController) {
			try {
				controller?.close();
			} catch {
				// The client cancelled first; there is nothing left to close.
			}
		}
	};
	const arm = () => {
		clearTimeout(heartbeat);
		heartbeat = setTimeout(
			() => sink.send({ event: 'ping', data: { epoch_ms: options.now() } }),
			options.heartbeatMs
		);
	};
	const sink: StreamSink = {
		write(text) {
			if (closed || !controller) return;
			controller.enqueue(encoder.encode(text));
			for (const match of text.matchAll(ID_LINE)) lastId = match[1] ?? null;
			arm();
		},
		send(message) {
			if (!closed) sink.write(encodeEvent(message));
		},
		close() {
			if (closed) return;
			options.onServerClose?.(lastId);
			finish(true);
		},
		onClose(fn) {
			if (closed) fn();
			else cleanups.push(fn);
		},
		get closed() {
			return closed;
		}
	};

	const body = new ReadableStream<Uint8Array>({
		start(c) {
			controller = c;
			sink.write(encodePreamble(options.retryMs));
			options.open(sink);
		},
		cancel: () => finish(false)
	});
	request.signal.addEventListener('abort', () => finish(true), { once: true });
	return new Response(body, { status: 200, headers: withHeaders(headers, STREAM_HEADERS) });
}
