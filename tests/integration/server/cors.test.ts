/**
 * CORS on the real built app with ALLOWED_ORIGINS set: an allowed Origin is echoed, any other
 * gets no CORS header, every API response varies by Origin, and the training routes answer
 * preflights.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type App } from './app';

const ALLOWED = 'https://dashboard.example';
const DENIED = 'https://evil.example';
let app: App;

beforeAll(async () => {
	app = await startApp({ ALLOWED_ORIGINS: `${ALLOWED}, https://other.example` });
});
afterAll(async () => {
	await app?.close();
});

async function request(path: string, origin: string | null, init: RequestInit = {}) {
	const controller = new AbortController();
	const headers: Record<string, string> = { ...(init.headers as Record<string, string>) };
	if (origin) headers.origin = origin;
	const response = await fetch(`${app.base}${path}`, {
		...init,
		headers,
		signal: controller.signal
	});
	// Streams stay open: only the headers matter here.
	controller.abort();
	await response.body?.cancel().catch(() => {});
	return response;
}

const ROUTES: [string, string][] = [
	['GET', '/api/health'],
	['GET', '/api/training'],
	['GET', '/api/feeds/time'],
	['GET', '/api/feeds?topics=time'],
	['GET', '/api/feeds/stocks?symbols=XYZ'],
	['GET', '/api/nope'],
	['POST', '/api/feeds/time'],
	['GET', '/api/training/abcdefgh12/events'],
	['GET', '/metrics']
];

describe.concurrent('CORS', () => {
	it.each(ROUTES)('%s %s echoes an allowed origin and varies by Origin', async (method, path) => {
		const response = await request(path, ALLOWED, { method });
		expect(response.headers.get('access-control-allow-origin')).toBe(ALLOWED);
		expect(response.headers.get('vary')).toMatch(/\bOrigin\b/);
	});

	it.each(ROUTES)('%s %s gives another origin no CORS header', async (method, path) => {
		const response = await request(path, DENIED, { method });
		expect(response.headers.get('access-control-allow-origin')).toBeNull();
		expect(response.headers.get('access-control-allow-credentials')).toBeNull();
		expect(response.headers.get('vary')).toMatch(/\bOrigin\b/);
	});

	it('varies by Origin without any Origin too', async () => {
		for (const [method, path] of ROUTES) {
			const response = await request(path, null, { method });
			expect(response.headers.get('vary'), path).toMatch(/\bOrigin\b/);
			expect(response.headers.get('access-control-allow-origin')).toBeNull();
		}
	});

	it('is exact: no prefix, suffix, case or scheme tricks', async () => {
		for (const origin of [
			`${ALLOWED}.evil.example`,
			'http://dashboard.example',
			'https://DASHBOARD.example',
			`${ALLOWED}/`,
			'null'
		]) {
			const response = await request('/api/health', origin);
			expect(response.headers.get('access-control-allow-origin'), origin).toBeNull();
		}
		const second = await request('/api/health', 'https://other.example');
		expect(second.headers.get('access-control-allow-origin')).toBe('https://other.example');
	});

	it.each([
		['/api/training', 'POST'],
		['/api/training/abcdefgh12', 'DELETE'],
		['/api/training/abcdefgh12/events', 'GET']
	])('answers a preflight on %s for an allowed origin', async (path, method) => {
		const response = await request(path, ALLOWED, {
			method: 'OPTIONS',
			headers: {
				'access-control-request-method': method,
				'access-control-request-headers': 'content-type, last-event-id'
			}
		});
		expect(response.status).toBe(204);
		expect(response.headers.get('access-control-allow-origin')).toBe(ALLOWED);
		expect(response.headers.get('access-control-allow-methods')).toContain(method);
		const headers = response.headers.get('access-control-allow-headers')?.toLowerCase();
		expect(headers).toContain('content-type');
		expect(headers).toContain('last-event-id');
		expect(response.headers.get('vary')).toMatch(/\bOrigin\b/);
	});

	it.each(ROUTES)(
		'%s %s with credentials from an allowed origin: its origin, never Allow-Credentials',
		async (method, path) => {
			// What a browser sends for fetch(…, {credentials: 'include'}) or withCredentials: the
			// API keeps no cookies, so it never says credentials are allowed, and the browser then
			// refuses a credentialed read: a cookie of the page's origin can never ride along.
			const response = await request(path, ALLOWED, {
				method,
				headers: { cookie: 'session=secret', authorization: 'Bearer x' }
			});
			expect(response.headers.get('access-control-allow-origin')).toBe(ALLOWED);
			expect(response.headers.get('access-control-allow-credentials')).toBeNull();
			expect(response.headers.get('vary')).toMatch(/\bOrigin\b/);
			expect(response.headers.get('set-cookie')).toBeNull();
		}
	);

	it('answers a credentialed preflight from an allowed origin without Allow-Credentials', async () => {
		const response = await request('/api/training', ALLOWED, {
			method: 'OPTIONS',
			headers: { 'access-control-request-method': 'POST', cookie: 'session=secret' }
		});
		expect(response.status).toBe(204);
		expect(response.headers.get('access-control-allow-origin')).toBe(ALLOWED);
		expect(response.headers.get('access-control-allow-credentials')).toBeNull();
	});

	it('answers a preflight from another origin without allowing it', async () => {
		const response = await request('/api/training', DENIED, {
			method: 'OPTIONS',
			headers: { 'access-control-request-method': 'POST' }
		});
		expect(response.headers.get('access-control-allow-origin')).toBeNull();
		expect(response.headers.get('access-control-allow-methods')).toBeNull();
		expect(response.headers.get('vary')).toMatch(/\bOrigin\b/);
	});
});
