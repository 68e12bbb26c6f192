/** A minimal static file server on 127.0.0.1 for a built dashboard (SPA fallback to index.html). */
import { createReadStream, existsSync, statSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';

const TYPES = {
	'.html': 'text/html; charset=utf-8',
	'.js': 'text/javascript; charset=utf-8',
	'.css': 'text/css; charset=utf-8',
	'.json': 'application/json',
	'.svg': 'image/svg+xml',
	'.png': 'image/png',
	'.ico': 'image/x-icon',
	'.webmanifest': 'application/manifest+json'
};

/**
 * Serves `dir` on a free port of 127.0.0.1; resolves with its origin and a `close` function.
 * @param {string} dir
 * @returns {Promise<{origin: string, close: () => Promise<void>}>}
 */
export function serveStatic(dir) {
	const root = path.resolve(dir);
	const server = http.createServer((req, res) => {
		const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
		let file = path.join(root, pathname);
		if (!file.startsWith(root)) file = path.join(root, 'index.html');
		if (!existsSync(file) || statSync(file).isDirectory()) {
			const html = path.join(file, 'index.html');
			file = existsSync(html) ? html : path.join(root, 'index.html');
		}
		const type =
			TYPES[/** @type {keyof typeof TYPES} */ (path.extname(file))] ?? 'application/octet-stream';
		const headers = { 'Content-Type': type, 'Cache-Control': 'no-store' };
		// The mock backend's service worker must be allowed to control the whole origin.
		if (file.endsWith('mockServiceWorker.js'))
			Object.assign(headers, { 'Service-Worker-Allowed': '/' });
		res.writeHead(200, headers);
		createReadStream(file).pipe(res);
	});
	return new Promise((resolve) => {
		server.listen(0, '127.0.0.1', () => {
			const address = server.address();
			const port = typeof address === 'object' && address ? address.port : 0;
			resolve({
				origin: `http://127.0.0.1:${port}`,
				close: () =>
					new Promise((done) => {
						server.closeAllConnections();
						server.close(() => done());
					})
			});
		});
	});
}
