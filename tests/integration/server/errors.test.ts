/**
 * Every bad input the real built app can be sent: each is answered with the contract's JSON
 * error, never echoes a hostile value, never reaches a producer, and the server serves on.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { STACK_LINE } from '../../support/raw-http';
import { expectError, readMetrics, startApp, sumMetric, waitFor, watch, type App } from './app';

let app: App;

beforeAll(async () => {
	app = await startApp();
});
afterAll(async () => {
	await app?.close();
});

const get = (path: string, init?: RequestInit) => fetch(`${app.base}${path}`, init);
const post = (body: BodyInit, headers: Record<string, string> = {}) =>
	get('/api/training', { method: 'POST', body, headers });

/** Sends raw bytes over one connection and returns the raw answer. */
function raw(request: string | Buffer): Promise<string> {
	const { port, hostname } = new URL(app.base);
	return new Promise((resolve, reject) => {
		const socket = net.connect(Number(port), hostname, () => socket.end(request));
		let text = '';
		socket.on('data', (chunk) => (text += chunk.toString('latin1')));
		socket.on('close', () => resolve(text));
		socket.on('error', reject);
	});
}

describe.concurrent('bad query parameters', () => {
	it.each([
		[
			'/api/feeds/stocks?symbols=XYZ',
			'bad_symbol',
			"unknown symbol 'XYZ'; known: AAPL, GOOGL, MSFT"
		],
		[
			'/api/feeds/stocks?symbols=aapl',
			'bad_symbol',
			"unknown symbol 'aapl'; known: AAPL, GOOGL, MSFT"
		],
		[
			'/api/feeds/stocks?symbols=AAPL,,MSFT',
			'bad_symbol',
			'an empty symbol; known: AAPL, GOOGL, MSFT'
		],
		['/api/feeds/stocks?symbols=', 'bad_symbol', 'an empty symbol; known: AAPL, GOOGL, MSFT'],
		['/api/feeds?topics=time&symbols=NOPE', 'bad_symbol', null],
		['/api/feeds/system?interval_ms=abc', 'bad_interval', null],
		['/api/feeds/system?interval_ms=499', 'bad_interval', null],
		['/api/feeds/system?interval_ms=10001', 'bad_interval', null],
		['/api/feeds/system?interval_ms=1e3', 'bad_interval', null],
		['/api/feeds/system?interval_ms=-1000', 'bad_interval', null],
		['/api/feeds/system?interval_ms=', 'bad_interval', null],
		['/api/feeds?topics=system&interval_ms=20', 'bad_interval', null],
		[
			'/api/feeds?topics=weather',
			'bad_topic',
			"unknown topic 'weather'; known: time, system, stocks"
		],
		['/api/feeds?topics=', 'bad_topic', null],
		[
			'/api/feeds/time?foo=1',
			'bad_parameter',
			"unknown query parameter 'foo'; known: lastEventId, history"
		],
		['/api/feeds/stocks?symbols=AAPL&symbols=MSFT', 'bad_parameter', null],
		['/api/training?x=1', 'bad_parameter', null],
		['/api/health?verbose=1', 'bad_parameter', null]
	])('%s → 400 %s', async (path, code, message) => {
		const error = await expectError(await get(path), 400, code);
		if (message) expect(error.message).toBe(message);
	});

	it('never echoes a hostile value', async () => {
		const hostile = encodeURIComponent('<script>alert(1)</script>\r\nX-Evil: 1');
		for (const path of [
			`/api/feeds/stocks?symbols=${hostile}`,
			`/api/feeds?topics=${hostile}`,
			`/api/feeds/system?interval_ms=${hostile}`,
			`/api/feeds/time?${hostile}=1`
		]) {
			const response = await get(path);
			expect(response.headers.get('x-evil')).toBeNull();
			const { message } = await expectError(response, 400, (await peekCode(path))!);
			expect(message).not.toMatch(/[<>\r\n]|script|Evil/);
		}
	});
});

async function peekCode(path: string): Promise<string | undefined> {
	const body = (await (await get(path)).json()) as { error?: { code?: string } };
	return body.error?.code;
}

describe.concurrent('bad training requests', () => {
	it.each([
		['not json', 'bad_json'],
		['{"total_epochs": 3', 'bad_json'],
		['[1, 2]', 'bad_body'],
		['"text"', 'bad_body'],
		['null', 'bad_body'],
		['42', 'bad_body'],
		['{"epochs": 3}', 'unknown_field'],
		['{"total_epochs": 3, "__proto__": {"x": 1}}', 'unknown_field'],
		['{"total_epochs": 0}', 'bad_parameter'],
		['{"total_epochs": 101}', 'bad_parameter'],
		['{"steps_per_epoch": 1001}', 'bad_parameter'],
		['{"step_ms": 0}', 'bad_parameter'],
		['{"step_ms": 1.5}', 'bad_parameter'],
		['{"epoch_pause_ms": -1}', 'bad_parameter'],
		['{"epoch_pause_ms": 60001}', 'bad_parameter'],
		['{"total_epochs": "3"}', 'bad_parameter'],
		['{"total_epochs": null}', 'bad_parameter'],
		['{"total_epochs": 1e400}', 'bad_parameter']
	])('POST %s → 400 %s', async (body, code) => {
		await expectError(await post(body, { 'content-type': 'application/json' }), 400, code);
	});

	it('refuses a body over 16 KiB with 413', async () => {
		const big = JSON.stringify({ total_epochs: 1, pad: 'x'.repeat(16 * 1024) });
		await expectError(await post(big), 413, 'body_too_large');
	});

	it('accepts a body of exactly 16 KiB (then judges its content)', async () => {
		const prefix = '{"total_epochs": 1}';
		const exact = prefix + ' '.repeat(16 * 1024 - prefix.length);
		const response = await post(exact);
		expect(response.status).toBe(201);
		const { id } = (await response.json()) as { id: string };
		expect((await get(`/api/training/${id}`, { method: 'DELETE' })).status).toBe(202);
	});

	it('counts a chunked body as it arrives and refuses it past 16 KiB', async () => {
		const chunk = new TextEncoder().encode(' '.repeat(4096));
		let sent = 0;
		const body = new ReadableStream<Uint8Array>({
			pull(controller) {
				// 256 KiB, far over the cap: counted as it arrives, whatever the headers say.
				if (sent++ < 64) controller.enqueue(chunk);
				else controller.close();
			}
		});
		const response = await get('/api/training', {
			method: 'POST',
			body,
			headers: { 'content-type': 'application/json' },
			duplex: 'half'
		} as RequestInit);
		await expectError(response, 413, 'body_too_large');
	});

	it('refuses a declared Content-Length over 16 KiB without waiting for the body', async () => {
		const answer = await raw(
			'POST /api/training HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
				'Content-Length: 100000\r\nConnection: close\r\n\r\n{}'
		);
		expect(answer).toMatch(/^HTTP\/1\.1 413 /);
		expect(answer).toContain('"code":"body_too_large"');
	});

	it.each([
		['chunked', 'Transfer-Encoding: chunked', 413],
		['with Content-Length', `Content-Length: ${17 * 1024}`, 413]
	])('refuses a raw %s body over 16 KiB', async (_how, header, status) => {
		const payload = ' '.repeat(17 * 1024);
		const body = header.startsWith('Transfer')
			? `${payload.length.toString(16)}\r\n${payload}\r\n0\r\n\r\n`
			: payload;
		const answer = await raw(
			`POST /api/training HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${header}\r\n` +
				`Connection: close\r\n\r\n${body}`
		);
		expect(answer).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
		expect(answer).toContain('"code":"body_too_large"');
	});

	it.each([
		['chunked', 'Transfer-Encoding: chunked', '7\r\n{"x": 1\r\n1\r\n}\r\n0\r\n\r\n'],
		['with Content-Length', 'Content-Length: 8', '{"x": 1}']
	])(
		'refuses a %s body sent without Content-Type instead of ignoring it',
		async (_how, header, body) => {
			const answer = await raw(
				`POST /api/training HTTP/1.1\r\nHost: x\r\n${header}\r\nConnection: close\r\n\r\n${body}`
			);
			expect(answer).toMatch(/^HTTP\/1\.1 400 /);
			expect(answer).toContain('"code":"bad_body"');
		}
	);

	it('answers a client that stops mid-body with JSON 400, logs nothing, and serves on', async () => {
		// The client claims 64 bytes, sends 2 and half-closes: Node's parser ends the request at the
		// FIN (HPE_INVALID_EOF_STATE), and a log line per such client would let any client fill the log.
		const logged = vi.spyOn(console, 'error');
		try {
			const answer = await raw(
				'POST /api/training HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 64\r\n\r\n{}'
			);
			expect(answer).toMatch(/^HTTP\/1\.1 400 /);
			expect(answer).toContain('"code":"bad_request"');
			expect(answer).not.toMatch(STACK_LINE);
			// Handled by now: the abort runs on the socket's close, before a new connection is read.
			expect((await get('/api/health')).status).toBe(200);
			expect(logged).not.toHaveBeenCalled();
		} finally {
			logged.mockRestore();
		}
	});
});

describe.concurrent('unknown jobs and paths', () => {
	it.each([
		'/api/training/abcdefgh12/events',
		'/api/training/ABCDEFGH12/events',
		'/api/training/..%2Fmetrics/events',
		'/api/training/..%2F..%2Fapi%2Fhealth/events',
		'/api/training/%2e%2e/events',
		'/api/training/a%00b/events',
		'/api/training/%3Cscript%3E/events',
		`/api/training/${'a'.repeat(300)}/events`
	])('GET %s → 404', async (path) => {
		const error = await expectError(await get(path), 404, 'not_found');
		expect(error.message).not.toMatch(/[<>\0]|script|\.\./);
	});

	it.each(['/api/training/abcdefgh12', '/api/training/..%2Fhealth', '/api/training/%20'])(
		'DELETE %s → 404',
		async (path) => {
			await expectError(await get(path, { method: 'DELETE' }), 404, 'not_found');
		}
	);

	it.each([
		'/api/nope',
		'/api',
		'/api/',
		'/api/feeds/time/extra',
		'/api/training/a/b/c',
		'/api/FEEDS/time'
	])('GET %s → 404 JSON', async (path) => {
		await expectError(await get(path), 404, 'not_found');
	});
});

describe.concurrent('wrong methods', () => {
	it.each([
		['POST', '/api/feeds/time', ['GET']],
		['DELETE', '/api/feeds/stocks', ['GET']],
		['PUT', '/api/feeds', ['GET']],
		['PATCH', '/api/feeds/system', ['GET']],
		['PUT', '/api/training', ['GET', 'POST']],
		['DELETE', '/api/training', ['GET', 'POST']],
		['GET', '/api/training/abcdefgh12', ['DELETE']],
		['POST', '/api/training/abcdefgh12/events', ['GET']],
		['POST', '/api/health', ['GET']],
		['POST', '/metrics', ['GET']]
	])('%s %s → 405 with Allow', async (method, path, allowed) => {
		const response = await get(path, { method });
		const allow = response.headers.get('allow') ?? '';
		await expectError(response, 405, 'method_not_allowed');
		for (const m of allowed) expect(allow).toContain(m);
		expect(allow).not.toContain(method);
	});
});

describe('afterwards', () => {
	it('opened no stream and started no producer for any bad request, and still serves', async () => {
		const metrics = await readMetrics(app.base);
		expect(sumMetric(metrics, 'live_feeds_connections')).toBe(0);
		expect(metrics.get('live_feeds_producers_running')).toBe(0);
		expect(sumMetric(metrics, 'live_feeds_streams_closed_total')).toBe(0);
		const health = await get('/api/health');
		expect(health.status).toBe(200);
		expect(await health.json()).toMatchObject({ status: 'ok', connections: 0 });
		const time = watch(`${app.base}/api/feeds/time`);
		try {
			await time.until(1);
		} finally {
			time.close();
		}
		await waitFor(
			'the stream to close',
			async () => sumMetric(await readMetrics(app.base), 'live_feeds_connections') === 0
		);
	});
});
