/**
 * The production server (`npm start`): SvelteKit's adapter-node handler for the pages and the API,
 * with every SSE stream served straight onto the socket by the backend's direct path
 * (src/lib/server/direct). It keeps adapter-node's variables: PORT, HOST, ORIGIN, ADDRESS_HEADER,
 * XFF_DEPTH, BODY_SIZE_LIMIT (read by the handler), SHUTDOWN_TIMEOUT, KEEP_ALIVE_TIMEOUT and
 * HEADERS_TIMEOUT; and it shuts down as adapter-node's own server does. Requests that never become
 * a Fetch `Request` (TRACE, unknown methods, malformed HTTP) are answered by `guard.js` first.
 */
import http from 'node:http';
import process from 'node:process';
// Importing the handler runs SvelteKit's `init` hook, which leaves the direct path on globalThis.
import { handler } from '../build/handler.js';
import { guardServer } from './guard.js';

/** @type {import('../src/lib/server/direct/serve').DirectHandler | undefined} */
const direct = /** @type {any} */ (globalThis)[Symbol.for('live-feeds.direct-handler')];
if (typeof direct !== 'function') {
	throw new Error('build/handler.js did not set up the direct path: was `npm run build` run?');
}

const env = (/** @type {string} */ name, /** @type {string} */ fallback) =>
	process.env[name] ?? fallback;
const seconds = (/** @type {string} */ name) => {
	const value = process.env[name];
	return value === undefined ? undefined : Number(value) * 1000;
};

const server = guardServer(
	http.createServer((req, res) =>
		// @ts-expect-error adapter-node's handler is polka middleware; it always answers without `next`.
		direct(req, res, () => handler(req, res))
	)
);
const keepAlive = seconds('KEEP_ALIVE_TIMEOUT');
if (keepAlive !== undefined) server.keepAliveTimeout = keepAlive;
const headersTimeout = seconds('HEADERS_TIMEOUT');
if (headersTimeout !== undefined) server.headersTimeout = headersTimeout;

const host = env('HOST', '0.0.0.0');
const port = Number(env('PORT', '3000'));
server.listen(port, host, () => {
	const address = server.address();
	const where = typeof address === 'object' && address ? `${host}:${address.port}` : address;
	console.log(`Listening on http://${where}`);
});

let draining = false;
server.on('request', (req) => {
	// Connections that become idle while shutting down are closed at once.
	req.on('close', () => {
		if (draining) server.closeIdleConnections();
	});
});

/** Stops accepting, waits for open requests (the streams are closed by the backend's own signal handler), then exits. */
function shutdown(/** @type {NodeJS.Signals} */ reason) {
	if (draining) return;
	draining = true;
	server.closeIdleConnections();
	const force = setTimeout(
		() => server.closeAllConnections(),
		Number(env('SHUTDOWN_TIMEOUT', '30')) * 1000
	);
	server.close(() => {
		clearTimeout(force);
		// @ts-expect-error SvelteKit's custom event, as adapter-node emits it.
		process.emit('sveltekit:shutdown', reason);
	});
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
