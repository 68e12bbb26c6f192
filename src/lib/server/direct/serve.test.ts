import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SystemSample } from '$lib/shared/contract';
import { seededRandom } from '$lib/shared/random';
import type { Backend, BackendOptions } from '$lib/backend/backend';
import { JobStore, type JobEvents, type TrainingJobs } from '$lib/backend/training/jobs';
import { parseEvents } from '$lib/backend/testing';
import { createServerBackend } from '../backend';
import { readConfig } from '../config';
import { clientAddress } from './client-address';
import { createDirectHandler } from './serve';
import { waitFor } from '../../../../tests/integration/server/app';

const sample: SystemSample = {
	cpu_percent: 1,
	memory_percent: 2,
	memory_used_mb: 3,
	memory_total_mb: 4,
	cpu_cores: [1],
	load_avg: [0, 0, 0],
	uptime_s: 5,
	net_rx_bytes_per_s: null,
	net_tx_bytes_per_s: null,
	epoch_ms: 1
};

let server: http.Server | null = null;
let backend: Backend | null = null;

afterEach(async () => {
	backend?.shutdown();
	if (server) {
		server.closeAllConnections();
		await new Promise((resolve) => server!.close(resolve));
	}
	server = backend = null;
});

/** A real HTTP server: the direct path first, then a stand-in for SvelteKit that answers 299. */
async function serve(env: Record<string, string> = {}, jobs?: BackendOptions['jobs']) {
	backend = createServerBackend({
		config: readConfig(env),
		jobs,
		sampler: { latest: sample, sample: async () => sample },
		random: seededRandom(3)
	});
	const current = backend;
	const direct = createDirectHandler(() => current, {
		header: (env.ADDRESS_HEADER ?? '').toLowerCase(),
		xffDepth: Number(env.XFF_DEPTH ?? '1')
	});
	const fellThrough: string[] = [];
	server = http.createServer((req, res) => {
		direct(req, res, () => {
			fellThrough.push(`${req.method} ${req.url}`);
			res.writeHead(299).end();
		});
	});
	await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	return { port, fellThrough, backend: current };
}

/** `store` with the lookup a shared store makes, which answers later. */
function sharedStore(store: JobStore, get: TrainingJobs['get']): TrainingJobs {
	return {
		create: (options) => store.create(options),
		get,
		list: () => store.list(),
		cancel: (id) => store.cancel(id),
		countByState: () => store.countByState(),
		dispose: () => store.dispose()
	};
}

/** Opens `path` and collects the body until `until` holds for the text (or the stream ends). */
function read(
	port: number,
	path: string,
	until: (text: string) => boolean,
	headers: Record<string, string> = {},
	method = 'GET'
): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
	return new Promise((resolve, reject) => {
		const req = http.request({ host: '127.0.0.1', port, path, headers, method }, (res) => {
			let text = '';
			const done = () => {
				req.destroy();
				resolve({ status: res.statusCode ?? 0, headers: res.headers, text });
			};
			res.setEncoding('utf8');
			res.on('data', (chunk: string) => {
				text += chunk;
				if (until(text)) done();
			});
			res.on('end', done);
		});
		req.on('error', reject);
		req.end();
	});
}

describe('the direct path', () => {
	it('serves a feed straight onto the response: headers, preamble, snapshot with ids', async () => {
		const { port, fellThrough } = await serve();
		const res = await read(port, '/api/feeds/stocks?symbols=AAPL', (t) => t.includes('AAPL'));
		expect(res.status).toBe(200);
		expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
		expect(res.headers['cache-control']).toBe('no-cache, no-transform');
		expect(res.headers['x-accel-buffering']).toBe('no');
		expect(res.headers.vary).toBe('Origin');
		expect(res.text.startsWith('retry: 2000\n')).toBe(true);
		const [quote] = parseEvents(res.text);
		expect(quote).toMatchObject({ event: 'AAPL' });
		expect(quote!.id).toMatch(/^\d+$/);
		expect(fellThrough).toEqual([]);
	});

	it('writes the body unchunked onto the socket and closes the connection when the stream ends', async () => {
		const { port, backend } = await serve();
		const socket = net.connect(port, '127.0.0.1');
		let raw = '';
		socket.setEncoding('latin1');
		socket.on('data', (chunk: string) => (raw += chunk));
		const ended = new Promise<void>((resolve) => socket.on('close', () => resolve()));
		socket.write('GET /api/feeds/stocks?symbols=AAPL HTTP/1.1\r\nHost: x\r\n\r\n');
		await vi.waitFor(() => expect(raw).toContain('event: AAPL'));
		backend.shutdown();
		await ended;
		const [head, body] = raw.split('\r\n\r\n');
		expect(head).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
		expect(head).toMatch(/\r\nConnection: close(\r\n|$)/i);
		expect(head).not.toMatch(/transfer-encoding/i);
		expect(head).not.toMatch(/content-length/i);
		// The body is the event stream itself: no chunk-size lines between the events.
		expect(body!.startsWith('retry: 2000\n')).toBe(true);
		expect(body).not.toMatch(/^[0-9a-f]+\r$/m);
		const events = parseEvents(body!);
		expect(events[0]).toMatchObject({ event: 'AAPL' });
		// Shutdown's last words: a jittered retry, then the connection closes.
		expect(body).toMatch(/\nretry: \d+\n\n$/);
	});

	it('serves the multiplexed stream with history and composite ids', async () => {
		const { port } = await serve();
		// A first client starts the producers, so there is a past to ask for.
		await read(port, '/api/feeds?topics=time,stocks', (t) => t.includes('stocks:MSFT'));
		const res = await read(port, '/api/feeds?topics=time,stocks&history=5', (t) =>
			t.includes('stocks:MSFT')
		);
		const events = parseEvents(res.text);
		expect(events.map((e) => e.event)).toEqual(
			expect.arrayContaining(['time', 'stocks:AAPL', 'stocks:GOOGL', 'stocks:MSFT'])
		);
		for (const event of events) expect(event.id).toMatch(/^(time=\d+)?;?(stocks=\d+)?$/);
	});

	it('leaves everything it does not open a stream for to the next handler', async () => {
		const { port, fellThrough } = await serve();
		const cases: [string, string][] = [
			['GET', '/api/feeds/time?history=501'],
			['GET', '/api/feeds/time?nope=1'],
			['GET', '/api/feeds/stocks?symbols=XYZ'],
			['HEAD', '/api/feeds/time'],
			['POST', '/api/feeds/time'],
			['GET', '/api/feeds/time/'],
			['GET', '/api/health'],
			['GET', '/api/training/abcdefgh12345678/events'],
			['GET', '/']
		];
		for (const [method, path] of cases) {
			const res = await read(port, path, () => false, {}, method);
			expect(res.status, `${method} ${path}`).toBe(299);
		}
		expect(fellThrough).toEqual(cases.map(([m, p]) => `${m} ${p}`));
	});

	it('leaves a refused connection to the next handler, which answers the cap', async () => {
		const { port, fellThrough, backend } = await serve({ MAX_CONNECTIONS_PER_CLIENT: '1' });
		const first = read(port, '/api/feeds/time', () => false);
		await waitFor('one stream to be open', () => backend.streams.size === 1);
		const second = await read(port, '/api/feeds/time', () => false);
		expect(second.status).toBe(299);
		expect(fellThrough).toEqual(['GET /api/feeds/time']);
		backend.streams.closeAll();
		await first;
	});

	it('streams a job that a shared store looks up later, as one in this process', async () => {
		let store: JobStore | null = null;
		const { port, fellThrough } = await serve({}, (limits, clock): TrainingJobs => {
			store = new JobStore(limits, clock, () => 'abcdefgh12345678');
			// What a store on Redis answers: promises.
			return sharedStore(store, async (id) => store!.get(id));
		});
		store!.create({ total_epochs: 1, steps_per_epoch: 2, step_ms: 1, epoch_pause_ms: 1 });
		const res = await read(port, '/api/training/abcdefgh12345678/events', (t) =>
			t.includes('event: complete')
		);
		expect(res.status).toBe(200);
		expect(parseEvents(res.text).map((e) => e.event)).toEqual(['progress', 'progress', 'complete']);
		expect(fellThrough).toEqual([]);
	});

	it('hands a request whose job lookup fails to the next handler once, with one line logged', async () => {
		const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
		const { port, fellThrough } = await serve({}, (limits, clock): TrainingJobs => {
			return sharedStore(new JobStore(limits, clock), () =>
				Promise.reject(new Error('the store exploded'))
			);
		});
		const res = await read(port, '/api/training/abcdefgh12345678/events', () => false);
		expect(res.status).toBe(299);
		expect(fellThrough).toEqual(['GET /api/training/abcdefgh12345678/events']);
		expect(logged).toHaveBeenCalledTimes(1);
		expect(String(logged.mock.calls[0]![1])).toContain('the store exploded');
		logged.mockRestore();
	});

	it('ends a stream that fails after its headers went out, and never hands it on', async () => {
		const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
		const { port, fellThrough, backend } = await serve({}, (limits, clock): TrainingJobs => {
			const store = new JobStore(limits, clock);
			const broken = {
				isSeenToEnd: () => false,
				join: () => {
					throw new Error('the join exploded');
				}
			} as unknown as JobEvents;
			return sharedStore(store, async () => broken);
		});
		const outcome = await new Promise<string>((resolve) => {
			const req = http.get({
				host: '127.0.0.1',
				port,
				path: '/api/training/abcdefgh12345678/events'
			});
			req.on('response', (res) => {
				res.on('data', () => {});
				res.on('end', () => resolve(`ended ${res.statusCode}`));
				res.on('error', () => resolve(`reset ${res.statusCode}`));
				res.on('aborted', () => resolve(`reset ${res.statusCode}`));
			});
			req.on('error', () => resolve('reset before headers'));
		});
		// The body has no length: a destroyed socket is its end, as far as the client can tell.
		expect(outcome).toMatch(/^(ended|reset) 200$/);
		expect(fellThrough).toEqual([]);
		await waitFor('every stream to be closed', () => backend.streams.size === 0);
		expect(String(logged.mock.calls[0]![1])).toContain('the join exploded');
		logged.mockRestore();
	});

	it('sends CORS headers to an allowed origin only', async () => {
		const { port } = await serve({ ALLOWED_ORIGINS: 'https://app.example' });
		const allowed = await read(port, '/api/feeds/time', (t) => t.includes('data:'), {
			origin: 'https://app.example'
		});
		expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example');
		const other = await read(port, '/api/feeds/time', (t) => t.includes('data:'), {
			origin: 'https://evil.example'
		});
		expect(other.headers['access-control-allow-origin']).toBeUndefined();
		expect(other.headers.vary).toBe('Origin');
	});

	it('ends the connection and frees it when the client goes away', async () => {
		const { port, backend } = await serve();
		await read(port, '/api/feeds/time', (t) => t.includes('data:'));
		await waitFor('every stream to be closed', () => backend.streams.size === 0);
		expect(backend.time.size).toBe(0);
		expect(backend.time.running).toBe(false);
	});
});

describe('clientAddress', () => {
	const req = (headers: http.IncomingHttpHeaders) =>
		({ headers, socket: { remoteAddress: '127.0.0.9' } }) as unknown as http.IncomingMessage;

	it('reads the socket, a header, or x-forwarded-for at XFF_DEPTH, as adapter-node does', () => {
		expect(clientAddress(req({}), { header: '', xffDepth: 1 })).toBe('127.0.0.9');
		expect(
			clientAddress(req({ 'x-real-ip': '10.1.1.1' }), { header: 'x-real-ip', xffDepth: 1 })
		).toBe('10.1.1.1');
		const xff = req({ 'x-forwarded-for': '1.1.1.1, 2.2.2.2, 3.3.3.3' });
		expect(clientAddress(xff, { header: 'x-forwarded-for', xffDepth: 1 })).toBe('3.3.3.3');
		expect(clientAddress(xff, { header: 'x-forwarded-for', xffDepth: 3 })).toBe('1.1.1.1');
		// Where adapter-node would throw, the direct path steps aside and lets it answer.
		expect(clientAddress(xff, { header: 'x-forwarded-for', xffDepth: 4 })).toBeNull();
		expect(clientAddress(req({}), { header: 'x-real-ip', xffDepth: 1 })).toBeNull();
	});
});
