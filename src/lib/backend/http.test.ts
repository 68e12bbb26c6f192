import { describe, expect, it } from 'vitest';
import { applyCors, jsonResponse, lastEventIdOf, preflight, readJsonBody } from './http';

const URL_ = 'http://feeds.test/api/training';

function streamed(chunks: number, size: number, onCancel?: () => void): ReadableStream<Uint8Array> {
	let sent = 0;
	return new ReadableStream<Uint8Array>({
		pull(controller) {
			if (sent++ < chunks) controller.enqueue(new Uint8Array(size).fill(32));
			else controller.close();
		},
		cancel: onCancel
	});
}

function request(
	body: ReadableStream<Uint8Array> | string | null,
	headers: Record<string, string> = {}
) {
	return new Request(URL_, { method: 'POST', body, headers, duplex: 'half' } as RequestInit);
}

describe('readJsonBody', () => {
	it('parses JSON, and treats no body or a blank one as absent', async () => {
		expect(await readJsonBody(request('{"a": 1}'))).toEqual({ ok: true, value: { a: 1 } });
		expect(await readJsonBody(request(null))).toEqual({ ok: true, value: undefined });
		expect(await readJsonBody(request('  \n'))).toEqual({ ok: true, value: undefined });
		expect(await readJsonBody(request('{'))).toMatchObject({ status: 400 });
	});

	it('answers 413 at once, closing the connection, for a declared length over the cap', async () => {
		const result = await readJsonBody(request('{}', { 'content-length': '20000' }));
		expect(result).toMatchObject({
			status: 413,
			headers: { connection: 'close' },
			body: { error: { code: 'body_too_large' } }
		});
	});

	it('counts a streamed body and reads the rest away so the 413 can be sent', async () => {
		let cancelled = false;
		const body = streamed(10, 4096, () => (cancelled = true));
		expect(await readJsonBody(request(body), 16 * 1024)).toMatchObject({ status: 413 });
		expect(cancelled).toBe(false);
	});

	it('gives up on a body far over the cap', async () => {
		let cancelled = false;
		const body = streamed(1000, 4096, () => (cancelled = true));
		expect(await readJsonBody(request(body), 1024, 8192)).toMatchObject({ status: 413 });
		expect(cancelled).toBe(true);
	});

	it("answers adapter-node's own body-size error with 413, not a thrown error", async () => {
		// What adapter-node's body stream errors with past BODY_SIZE_LIMIT (a SvelteKitError).
		const limit = Object.assign(new Error('request body size exceeded BODY_SIZE_LIMIT'), {
			status: 413,
			text: 'Payload Too Large'
		});
		const body = new ReadableStream<Uint8Array>({ pull: (controller) => controller.error(limit) });
		expect(await readJsonBody(request(body))).toMatchObject({
			status: 413,
			headers: { connection: 'close' },
			body: { error: { code: 'body_too_large' } }
		});
	});

	it('answers a body cut off mid-way with 400 and closes, instead of throwing', async () => {
		const aborted = Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
		const body = new ReadableStream<Uint8Array>({
			start(controller) {
				controller.enqueue(new TextEncoder().encode('{"total_'));
			},
			pull: (controller) => controller.error(aborted)
		});
		expect(await readJsonBody(request(body))).toMatchObject({
			status: 400,
			headers: { connection: 'close' },
			body: { error: { code: 'bad_body' } }
		});
	});

	it('refuses a body that was sent but dropped for want of a Content-Type', async () => {
		const dropped = new Request(URL_, { method: 'POST', headers: { 'content-length': '8' } });
		expect(await readJsonBody(dropped)).toMatchObject({
			status: 400,
			body: { error: { code: 'bad_body' } }
		});
	});
});

describe('CORS', () => {
	const ALLOWED = ['https://app.example'];

	it('echoes an allowed origin and always varies by Origin', () => {
		const allowed = applyCors(jsonResponse({}), 'https://app.example', ALLOWED);
		expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example');
		expect(allowed.headers.get('vary')).toBe('Origin');
		const denied = applyCors(jsonResponse({}), 'https://evil.example', ALLOWED);
		expect(denied.headers.get('access-control-allow-origin')).toBeNull();
		expect(denied.headers.get('vary')).toBe('Origin');
		expect(applyCors(jsonResponse({}), null, ALLOWED).headers.get('vary')).toBe('Origin');
	});

	it('answers a preflight for an allowed origin only', () => {
		const ok = preflight('https://app.example', ALLOWED, ['DELETE']);
		expect(ok.status).toBe(204);
		expect(ok.headers.get('access-control-allow-methods')).toBe('DELETE, OPTIONS');
		expect(ok.headers.get('access-control-allow-headers')).toContain('Content-Type');
		const denied = preflight('https://evil.example', ALLOWED, ['DELETE']);
		expect(denied.headers.get('access-control-allow-origin')).toBeNull();
		expect(denied.headers.get('access-control-allow-methods')).toBeNull();
		expect(denied.headers.get('vary')).toBe('Origin');
	});
});

describe('lastEventIdOf', () => {
	it('prefers the header over the query parameter', () => {
		const url = new URL('http://x/?lastEventId=5');
		expect(lastEventIdOf(new Request(url, { headers: { 'last-event-id': '7' } }), url)).toBe('7');
		expect(lastEventIdOf(new Request(url), url)).toBe('5');
		expect(lastEventIdOf(new Request('http://x/'), new URL('http://x/'))).toBeNull();
	});
});
