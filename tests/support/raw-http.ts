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
}

/** Undoes `Transfer-Encoding: chunked`; returns what was complete. */
function dechunk(text: string): string {
	let out = '';
	let rest = text;
	for (;;) {
		const eol = rest.indexOf('\r\n');
		if (eol < 0) return out;
		const size = parseInt(rest.slice(0, eol), 16);
		if (!Number.isFinite(size) || size === 0) return out;
		out += rest.slice(eol + 2, eol + 2 + size);
		rest = rest.slice(eol + 2 + size + 2);
	}
}

/** Parses the first HTTP response out of raw bytes. */
export function parseAnswer(raw: string): RawAnswer {
	const end = raw.indexOf('\r\n\r\n');
	const match = /^HTTP\/1\.[01] (\d{3})/.exec(raw);
	if (end < 0 || !match) return { raw, status: null, headers: {}, body: '' };
	const headers: Record<string, string> = {};
	for (const line of raw.slice(0, end).split('\r\n').slice(1)) {
		const colon = line.indexOf(':');
		if (colon > 0)
			headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
	}
	let body = raw.slice(end + 4);
	if (headers['transfer-encoding']?.toLowerCase() === 'chunked') body = dechunk(body);
	else if (headers['content-length'] !== undefined) {
		body = body.slice(0, Number(headers['content-length']));
	}
	return { raw, status: Number(match[1]), headers, body };
}

/** Options of `rawRequest`. */
export interface RawOptions {
	/** Half-close the socket after writing (`end()`); otherwise it stays open for the answer. @default true */
	end?: boolean;
	/** Destroy the socket right after writing, without waiting for an answer. @default false */
	abort?: boolean;
	/** Give up waiting for the server to close after this long and return what came. @default 10000 */
	timeoutMs?: number;
}

/**
 * Writes `parts` (each written separately, in order) to a fresh connection to `port` on
 * 127.0.0.1 and resolves with what came back once the server closes it (or the timeout ends it).
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
		socket.on('data', (chunk) => (raw += chunk.toString('latin1')));
		socket.on('close', done);
		socket.on('error', () => {});
		socket.once('connect', () => {
			for (const chunk of chunks) socket.write(chunk);
			if (options.abort) done();
			else if (options.end ?? true) socket.end();
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
