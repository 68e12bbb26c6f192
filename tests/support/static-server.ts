/**
 * A minimal static file server for the offline demo build: files as they are, and the SPA
 * fallback page for any other path. It has no API at all, which is the point.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, resolve } from 'node:path';

const TYPES: Record<string, string> = {
	'.html': 'text/html; charset=utf-8',
	'.js': 'text/javascript; charset=utf-8',
	'.css': 'text/css; charset=utf-8',
	'.json': 'application/json',
	'.svg': 'image/svg+xml',
	'.png': 'image/png',
	'.ico': 'image/x-icon',
	'.txt': 'text/plain; charset=utf-8'
};

/** Serves `root` on 127.0.0.1:`port` (0 = any free port); every request is passed to `onRequest`. */
export function serveStatic(
	root: string,
	port = 0,
	onRequest: (path: string) => void = () => {}
): Promise<{ server: Server; url: string }> {
	const base = resolve(root);
	const server = createServer((req, res) => {
		const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
		onRequest(path);
		let file = normalize(join(base, path));
		if (!file.startsWith(base)) {
			res.writeHead(403).end();
			return;
		}
		if (!existsSync(file) || statSync(file).isDirectory()) {
			const index = join(file, 'index.html');
			file = existsSync(index) ? index : join(base, 'index.html');
		}
		res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
		createReadStream(file).pipe(res);
	});
	return new Promise((resolvePromise) =>
		server.listen(port, '127.0.0.1', () => {
			const address = server.address();
			const actual = typeof address === 'object' && address ? address.port : port;
			resolvePromise({ server, url: `http://127.0.0.1:${actual}` });
		})
	);
}
