/**
 * What the Node layer must answer before SvelteKit can: requests that never become a Fetch
 * `Request`. Two kinds reach no route today (issue 14, defect 3):
 *
 * - Methods Node parses but the Fetch standard forbids (`TRACE`, `TRACK`, `CONNECT`;
 *   https://fetch.spec.whatwg.org/#forbidden-method): `new Request()` throws, and adapter-node's
 *   handler answers a plain-text `400 Bad Request` before any hook runs.
 * - Method tokens Node's parser (llhttp) does not know (`FOO /api/health`): the parser fails and
 *   Node writes a bare `400` itself.
 *
 * Both are handed to the app with a stand-in method that no route exports, so SvelteKit's router
 * answers as for any other wrong method: the contract's JSON `405` with the route's own `Allow`
 * (or JSON `404` for an unknown path), with CORS. Every other malformed request still gets Node's
 * status (`400`, `408`, `431`), but with the contract's JSON body and `Connection: close`; so do
 * requests adapter-node cannot build a URL for (a bad `Host`, a `*` target). An absolute-form
 * target (`GET http://host/path`) is served by its path, as RFC 9112 asks of a server.
 *
 * Node still answers alone, before any JavaScript runs, an HTTP/1.1 request without `Host`: a
 * bare `400` with an empty body and `Connection: close` (its `requireHostHeader`).
 */
import http from 'node:http';

/** The method such a request reaches the app with; a valid token that no route exports. */
export const STAND_IN_METHOD = 'UNSUPPORTED';

const FETCH_FORBIDDEN = new Set(['CONNECT', 'TRACE', 'TRACK']);

/** Node's status for a request its parser refused, as its own default `clientError` answer picks. */
function statusOf(/** @type {NodeJS.ErrnoException} */ error) {
	if (error.code === 'HPE_HEADER_OVERFLOW') return 431;
	if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return 408;
	return 400;
}

const MESSAGES = /** @type {Record<number, string>} */ ({
	400: 'the request is not valid HTTP/1.1',
	408: 'the request took too long to arrive',
	431: 'the request header fields are too large'
});

/** A complete JSON error response, for a socket no `ServerResponse` owns. */
function rawJsonError(/** @type {number} */ status) {
	const body = JSON.stringify({
		error: { code: 'bad_request', message: MESSAGES[status] ?? MESSAGES[400] }
	});
	return (
		`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\n` +
		'Content-Type: application/json; charset=utf-8\r\n' +
		`Content-Length: ${Buffer.byteLength(body)}\r\n` +
		'Cache-Control: no-store\r\nConnection: close\r\n\r\n' +
		body
	);
}

/**
 * The request line and the complete header lines of a request whose method the parser refused,
 * or `null` when not even the request line arrived whole.
 * @param {Buffer | undefined} packet
 */
function parseHead(packet) {
	if (!packet) return null;
	const text = packet.toString('latin1');
	const lines = text.split('\r\n');
	const line = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) (\/[^\s]*) HTTP\/1\.[01]$/.exec(lines[0] ?? '');
	if (!line || lines.length < 2) return null;
	/** @type {string[]} */
	const rawHeaders = [];
	// Only lines that ended: the last element was cut off (or is the blank line's remainder).
	for (const header of lines.slice(1, -1)) {
		if (header === '') break;
		const colon = header.indexOf(':');
		if (colon <= 0) return null;
		rawHeaders.push(header.slice(0, colon).trim(), header.slice(colon + 1).trim());
	}
	return { url: /** @type {string} */ (line[2]), rawHeaders };
}

/**
 * Hands a request the parser gave up on (or a `CONNECT`, which Node never routes) to the
 * server's `request` listeners as a body-less request with the stand-in method, on a response
 * that closes the connection when it is done.
 * @param {http.Server} server
 * @param {import('node:net').Socket} socket
 * @param {{ url: string, rawHeaders: string[] }} head
 */
function replay(server, socket, head) {
	const req = new http.IncomingMessage(socket);
	req.method = STAND_IN_METHOD;
	req.url = head.url;
	req.httpVersion = '1.1';
	req.httpVersionMajor = 1;
	req.httpVersionMinor = 1;
	req.rawHeaders = head.rawHeaders;
	for (let i = 0; i < head.rawHeaders.length; i += 2) {
		const name = /** @type {string} */ (head.rawHeaders[i]).toLowerCase();
		// Whatever framing it claimed, the body (if any) is not read: the connection closes after.
		if (name === 'content-length' || name === 'transfer-encoding') continue;
		req.headers[name] ??= /** @type {string} */ (head.rawHeaders[i + 1]);
	}
	req.complete = true;
	req.push(null);
	req.resume();
	const res = new http.ServerResponse(req);
	res.shouldKeepAlive = false;
	res.assignSocket(socket);
	res.once('finish', () => {
		res.detachSocket(socket);
		socket.destroySoon();
	});
	server.emit('request', req, res);
}

/**
 * Answers a request the app could not turn into a Fetch `Request` (adapter-node would answer it
 * with a plain-text `400 Bad Request` or polka with a plain-text `404`), or rewrites it into one
 * it can: returns true when it answered.
 * @param {http.IncomingMessage} req
 * @param {http.ServerResponse} res
 */
function answeredHere(req, res) {
	if (req.method && FETCH_FORBIDDEN.has(req.method)) req.method = STAND_IN_METHOD;
	const target = req.url ?? '';
	if (!target.startsWith('/')) {
		// RFC 9112 §3.2.2: a server accepts the absolute form; its authority is not ours to route.
		const absolute = URL.canParse(target) ? new URL(target) : null;
		if (!absolute || !/^https?:$/.test(absolute.protocol)) return answerJson(res, 400);
		req.url = absolute.pathname + absolute.search;
	}
	// adapter-node builds the request's URL from Host (unless ORIGIN is set): one that does not
	// parse would be its plain-text 400.
	const host = req.headers.host;
	if (!process.env.ORIGIN && (!host || !URL.canParse(`http://${host}${req.url}`))) {
		return answerJson(res, 400);
	}
	return false;
}

/**
 * Writes the JSON error for `status` on `res` and closes the connection after it.
 * @param {http.ServerResponse} res
 * @param {number} status
 */
function answerJson(res, status) {
	const body = JSON.stringify({ error: { code: 'bad_request', message: MESSAGES[400] } });
	res.writeHead(status, {
		'content-type': 'application/json; charset=utf-8',
		'content-length': Buffer.byteLength(body),
		'cache-control': 'no-store',
		connection: 'close'
	});
	res.end(body);
	return true;
}

/**
 * Installs the guard on `server` ahead of every `request` listener (the app's included), and
 * returns the server.
 * @template {http.Server} S
 * @param {S} server
 * @returns {S}
 */
export function guardServer(server) {
	const emit = server.emit;
	// Ahead of the listeners, not one of them: a request answered here must reach no other.
	server.emit = /** @type {typeof server.emit} */ (
		function (/** @type {string | symbol} */ event, /** @type {any[]} */ ...args) {
			if (event === 'request' && answeredHere(args[0], args[1])) return true;
			return /** @type {(...all: any[]) => boolean} */ (emit).call(this, event, ...args);
		}
	);
	server.on('connect', (req, socket) => {
		const url = req.url ?? '';
		if (!url.startsWith('/')) {
			// An authority (`CONNECT host:443`): this server is no proxy, and there is no path to route.
			socket.end(rawJsonError(400));
			return;
		}
		replay(server, /** @type {import('node:net').Socket} */ (socket), {
			url,
			rawHeaders: req.rawHeaders
		});
	});
	server.on('clientError', (error, socket) => {
		const err = /** @type {NodeJS.ErrnoException & { rawPacket?: Buffer }} */ (error);
		const inFlight = /** @type {{ _httpMessage?: { headersSent?: boolean } }} */ (socket)
			._httpMessage;
		// As Node's own handler: never write into a response that has started, or to a gone peer.
		if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
			socket.destroy();
			return;
		}
		if (err.code === 'HPE_INVALID_METHOD' && !inFlight) {
			const head = parseHead(err.rawPacket);
			// HTTP/1.1 requires Host (Node answers its absence with a bare 400): same here.
			const host = head?.rawHeaders.some((v, i) => i % 2 === 0 && v.toLowerCase() === 'host');
			if (head && host) {
				// Node's parser is done with this socket: its listeners would end the socket on the
				// client's FIN (or parse again) under the replayed response, as for an upgrade.
				socket.removeAllListeners('data');
				socket.removeAllListeners('end');
				replay(server, /** @type {import('node:net').Socket} */ (socket), head);
				return;
			}
		}
		socket.end(rawJsonError(statusOf(err)));
	});
	return server;
}
