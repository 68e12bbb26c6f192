/**
 * Raw HTTP/1.1 over a `net.Socket`, for requests `fetch` refuses to send (bad framing, forbidden
 * methods, cut-off bodies) and for reading exactly what the server wrote back.
 */
import net from 'node:net';

/** What the server wrote back on one connection, parsed as far as it is HTTP. */
export interface RawAnswer {
	/** Everything received, latin1-decoded. */
	raw: string;
	/** The status code of the first response, or `null` when nothing parseable came back. */
	status: number | null;
	/** The first response's header fields, names lower-cased. */
	headers: Record<string, string>;
	/** The first response's body, de-chunked when it was sent chunked. */
	body: string;
	/** Whether the first response arrived whole (its length, or its last chunk, was seen). */
	complete: boolean;
}

/** Undoes `Transfer-Encoding: chunked`: what was complete, and whether the last chunk came. */
function dechunk(text: string): { body: string; complete: boolean } {
	let body = '';
	let rest = text;
	for (;;) {
		const eol = rest.indexOf('\r\n');
		if (eol < 0) return { body, complete: false };
		const size = parseInt(rest.slice(0, eol), 16);
		if (!Number.isFinite(size)) return { body, complete: false };
		if (size === 0) return { body, complete: rest.slice(eol).startsWith('\r\n\r\n') };
		if (rest.length < eol + 2 + size + 2) return { body, complete: false };
		body += rest.slice(eol + 2, eol + 2 + size);
		rest = rest.slice(eol + 2 + size + 2);
	}
}

/** Parses the first HTTP response out of raw bytes. */
export function parseAnswer(raw: string): RawAnswer {
	const end = raw.indexOf('\r\n\r\n');
	const match = /^HTTP\/1\.[01] (\d{3})/.exec(raw);
	if (end < 0 || !match) return { raw, status: null, headers: {}, body: '', complete: false };
	const headers: Record<string, string> = {};
	for (const line of raw.slice(0, end).split('\r\n').slice(1)) {
		const colon = line.indexOf(':');
		if (colon > 0)
			headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
	}
	const rest = raw.slice(end + 4);
	const status = Number(match[1]);
	if (headers['transfer-encoding']?.toLowerCase() === 'chunked') {
		return { raw, status, headers, ...dechunk(rest) };
	}
	if (headers['content-length'] !== undefined) {
		const length = Number(headers['content-length']);
		return { raw, status, headers, body: rest.slice(0, length), complete: rest.length >= length };
	}
	// No framing: the body runs to the close (or there is none, as for 204 and 304).
	const bodiless = status === 204 || status === 304 || (status >= 100 && status < 200);
	return { raw, status, headers, body: rest, complete: bodiless };
}

/** Options of `rawRequest`. */
export interface RawOptions {
	/**
	 * Half-close the socket after writing (`end()`). Node's HTTP server (`httpAllowHalfOpen`
	 * false) then drops a response still being made, so most cases leave it open. @default false
	 */
	end?: boolean;
	/** Destroy the socket right after writing, without waiting for an answer. @default false */
	abort?: boolean;
	/** Give up waiting for the server to close after this long and return what came. @default 10000 */
	timeoutMs?: number;
}

/**
 * Writes `parts` (each written separately, in order; a string as latin1, one byte a character) to a fresh connection to `port` on
 * 127.0.0.1 and resolves with what came back once the first response is complete, the server
 * closes the connection, or the timeout ends it.
 */
export function rawRequest(
	port: number,
	parts: (string | Buffer)[] | string | Buffer,
	options: RawOptions = {}
): Promise<RawAnswer> {
	const chunks = Array.isArray(parts) ? parts : [parts];
	return new Promise((resolve) => {
		const socket = net.connect(port, '127.0.0.1');
		let raw = '';
		const done = () => {
			clearTimeout(timer);
			socket.destroy();
			resolve(parseAnswer(raw));
		};
		const timer = setTimeout(done, options.timeoutMs ?? 10_000);
		socket.on('data', (chunk) => {
			raw += chunk.toString('latin1');
			if (parseAnswer(raw).complete) done();
		});
		socket.on('close', done);
		socket.on('error', () => {});
		socket.once('connect', () => {
			// One byte per character: a test can send any byte, and no UTF-8 it did not write.
			for (const chunk of chunks)
				socket.write(typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk);
			if (options.abort) done();
			else if (options.end) socket.end();
		});
	});
}

/** A `Transfer-Encoding: chunked` body of `text`, in chunks of `size` bytes, with the last chunk. */
export function chunked(text: string, size = 16 * 1024): string {
	let out = '';
	for (let at = 0; at < text.length; at += size) {
		const part = text.slice(at, at + size);
		out += `${Buffer.byteLength(part).toString(16)}\r\n${part}\r\n`;
	}
	return out + '0\r\n\r\n';
}

/** A line of a Node stack trace (`    at fn (file:1:2)`), in a log or a body. */
export const STACK_LINE = /^\s+at .+(:\d+:\d+\)?|\(native\)|\(<anonymous>\))$/m;
