/**
 * One stream on its own raw TCP connection (Node's `http` with no agent), for tests that need
 * many at once from one address, custom headers, or to reset the socket.
 */
import http from 'node:http';
import type { Socket } from 'node:net';

/** An opened (or refused) request. */
export interface RawStream {
	status: number;
	headers: http.IncomingHttpHeaders;
	/** The body so far (the whole body once `ended`). */
	text(): string;
	ended(): boolean;
	socket: Socket;
	res: http.IncomingMessage;
	/** Closes the connection from the client side. */
	destroy(): void;
}

/** Opens `path` on 127.0.0.1:`port` and resolves once the status and headers are in. */
export function openRaw(
	port: number,
	path: string,
	options: { headers?: Record<string, string>; paused?: boolean; timeoutMs?: number } = {}
): Promise<RawStream> {
	return new Promise((resolve, reject) => {
		const req = http.request({
			host: '127.0.0.1',
			port,
			path,
			agent: false,
			headers: { accept: 'text/event-stream', ...options.headers }
		});
		const timer = setTimeout(() => {
			req.destroy();
			reject(new Error(`no answer from ${path}`));
		}, options.timeoutMs ?? 10_000);
		req.on('error', (error) => {
			clearTimeout(timer);
			reject(error);
		});
		req.on('response', (res) => {
			clearTimeout(timer);
			let body = '';
			let ended = false;
			if (options.paused) {
				res.pause();
			} else {
				res.setEncoding('utf8');
				res.on('data', (chunk: string) => (body += chunk));
			}
			res.on('error', () => {});
			res.on('close', () => (ended = true));
			resolve({
				status: res.statusCode ?? 0,
				headers: res.headers,
				text: () => body,
				ended: () => ended,
				socket: req.socket!,
				res,
				destroy: () => req.destroy()
			});
		});
		req.end();
	});
}
