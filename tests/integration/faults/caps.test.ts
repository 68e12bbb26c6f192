/**
 * The per-client connection cap (`MAX_CONNECTIONS_PER_CLIENT`, default 64) on real sockets
 * against the built server: the 65th stream from one address is `429` with `Retry-After`; with
 * `ADDRESS_HEADER=x-forwarded-for` forwarded addresses are counted apart, and `XFF_DEPTH` picks
 * which one counts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Started } from '../../support/processes';
import { waitFor } from '../server/app';
import { recordFigures } from './lib/figures';
import { openRaw, type RawStream } from './lib/raw-stream';
import { healthConnections, SERVERS } from './lib/servers';

const PATH = '/api/feeds?topics=time,stocks';

let server: Started | null = null;
let open: RawStream[] = [];

afterEach(async () => {
	for (const stream of open) stream.destroy();
	open = [];
	await server?.stop('SIGKILL');
	server = null;
});

/** Opens `count` streams with `headers`; every one must be admitted. */
async function openMany(count: number, headers: Record<string, string> = {}): Promise<void> {
	const streams = await Promise.all(
		Array.from({ length: count }, () => openRaw(server!.port, PATH, { headers }))
	);
	open.push(...streams);
	expect(streams.map((s) => s.status)).toEqual(streams.map(() => 200));
}

/** Opens one more stream and reads it to its end (a refusal is a short JSON answer). */
async function oneMore(headers: Record<string, string> = {}): Promise<RawStream> {
	const stream = await openRaw(server!.port, PATH, { headers });
	open.push(stream);
	if (stream.status !== 200) await waitFor('the refusal to be read', () => stream.ended());
	return stream;
}

function expectRefused(stream: RawStream): void {
	expect(stream.status).toBe(429);
	expect(Number(stream.headers['retry-after'])).toBeGreaterThan(0);
	expect(stream.headers['content-type']).toMatch(/^application\/json/);
	const body = JSON.parse(stream.text()) as { error: { code: string; message: string } };
	expect(body.error.code).toBe('too_many_connections');
	expect(body.error.message).toContain('64');
}

describe.each(SERVERS)('the per-client cap ($name path)', (kind) => {
	it('refuses the 65th stream from one address with 429 and Retry-After, and admits again once one closes', async () => {
		server = await kind.start();
		await openMany(64);
		const refused = await oneMore();
		expectRefused(refused);
		// The cap counts open streams: one closing makes room for exactly one.
		open[0]!.destroy();
		await waitFor(
			'the server to see one stream close',
			async () => (await healthConnections(server!.url)) === 63
		);
		expect((await oneMore()).status).toBe(200);
		expectRefused(await oneMore());
		recordFigures('caps', `${kind.name}: one address`, {
			server: kind.name,
			max_connections_per_client: 64,
			admitted: 64,
			status_of_65th: refused.status,
			retry_after_s: Number(refused.headers['retry-after']),
			body: JSON.parse(refused.text())
		});
	});

	it('with ADDRESS_HEADER=x-forwarded-for counts two forwarded addresses apart', async () => {
		server = await kind.start({ ADDRESS_HEADER: 'x-forwarded-for' });
		const a = { 'x-forwarded-for': '203.0.113.1' };
		const b = { 'x-forwarded-for': '203.0.113.2' };
		await openMany(64, a);
		await openMany(63, b);
		expectRefused(await oneMore(a));
		expect((await oneMore(b)).status).toBe(200);
		expectRefused(await oneMore(b));
		expect(await healthConnections(server.url)).toBe(128);
		recordFigures('caps', `${kind.name}: x-forwarded-for`, {
			server: kind.name,
			address_header: 'x-forwarded-for',
			admitted_per_address: 64,
			addresses: 2,
			open_at_end: 128,
			same_socket_address: '127.0.0.1'
		});
	});

	it('with XFF_DEPTH=2 counts the second address from the right, whatever the proxy', async () => {
		server = await kind.start({ ADDRESS_HEADER: 'x-forwarded-for', XFF_DEPTH: '2' });
		// 64 streams of one client through three proxies: one count, not three.
		for (let proxy = 0; proxy < 4; proxy++) {
			await openMany(16, { 'x-forwarded-for': `198.51.100.7, 10.0.0.${proxy}` });
		}
		expectRefused(await oneMore({ 'x-forwarded-for': '198.51.100.7, 10.0.0.9' }));
		// Spoofing more addresses on the left does not help: the second from the right counts.
		expectRefused(await oneMore({ 'x-forwarded-for': '1.2.3.4, 198.51.100.7, 10.0.0.9' }));
		expect((await oneMore({ 'x-forwarded-for': '198.51.100.8, 10.0.0.0' })).status).toBe(200);
		recordFigures('caps', `${kind.name}: XFF_DEPTH=2`, {
			server: kind.name,
			address_header: 'x-forwarded-for',
			xff_depth: 2,
			admitted: 64,
			proxies: 4,
			refused_65th: true
		});
	});
});
