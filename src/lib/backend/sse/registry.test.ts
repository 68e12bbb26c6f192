import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClock } from '../timers';
import { SSE_HEADERS, StreamRegistry, streamResponse, type StreamLimits } from './registry';

const LIMITS: StreamLimits = {
	retryMs: 2000,
	heartbeatMs: 15_000,
	clientBufferBytes: 4096,
	stallMs: 30_000,
	maxConnections: 3,
	maxConnectionsPerClient: 2
};

/** Reads a stream in the background; `take()` returns what arrived since the last call. */
function collect(stream: ReadableStream<Uint8Array>) {
	let text = '';
	const decoder = new TextDecoder();
	void (async () => {
		for await (const chunk of stream) text += decoder.decode(chunk);
	})().catch(() => {});
	return {
		async take(): Promise<string> {
			// Let the reader loop run the reads already resolved.
			for (let i = 0; i < 10; i++) await Promise.resolve();
			const taken = text;
			text = '';
			return taken;
		}
	};
}

beforeEach(() => {
	vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
	vi.useRealTimers();
});

describe('StreamRegistry', () => {
	it('starts every stream with the retry preamble', async () => {
		const registry = new StreamRegistry(LIMITS, createClock());
		const connection = registry.open({ feed: 'time', client: 'a' });
		expect(await collect(connection.stream).take()).toBe('retry: 2000\n: live-feeds\n\n');
	});

	it('pings a stream only after it has been idle for heartbeatMs, with no id', async () => {
		const clock = createClock();
		const pinged = vi.fn();
		const registry = new StreamRegistry(LIMITS, clock, { pinged });
		const idle = collect(registry.open({ feed: 'time', client: 'a' }).stream);
		const busyConnection = registry.open({ feed: 'time', client: 'b' });
		const busy = collect(busyConnection.stream);
		await idle.take();
		await busy.take();

		vi.advanceTimersByTime(10_000);
		busyConnection.write(new TextEncoder().encode('data: 1\n\n'));
		vi.advanceTimersByTime(4_999);
		expect(await idle.take()).toBe('');
		vi.advanceTimersByTime(1_000);
		// The sweep that first finds it idle for 15 s (at +15 s) pings it.
		expect(await idle.take()).toBe('event: ping\ndata: {"epoch_ms":1015000}\n\n');
		expect(await busy.take()).toBe('data: 1\n\n');
		expect(pinged).toHaveBeenCalledExactlyOnceWith(1);

		// The busy stream idles in turn; the idle one is pinged again a heartbeat after its ping.
		vi.advanceTimersByTime(15_000);
		expect(await busy.take()).toBe('event: ping\ndata: {"epoch_ms":1025000}\n\n');
		expect(await idle.take()).toBe('event: ping\ndata: {"epoch_ms":1030000}\n\n');
	});

	it('arms one sweep timer for all streams, only while any is open', () => {
		const clock = createClock();
		const registry = new StreamRegistry(LIMITS, clock);
		expect(clock.active).toBe(0);
		const a = registry.open({ feed: 'time', client: 'a' });
		const b = registry.open({ feed: 'stocks', client: 'b' });
		expect(clock.active).toBe(1);
		expect(vi.getTimerCount()).toBe(1);
		a.close();
		expect(clock.active).toBe(1);
		b.close();
		expect(clock.active).toBe(0);
		expect(vi.getTimerCount()).toBe(0);
		registry.open({ feed: 'time', client: 'a' });
		expect(clock.active).toBe(1);
	});

	it('caps streams per client (429) and in total (503), with Retry-After', () => {
		const registry = new StreamRegistry(LIMITS, createClock());
		const first = registry.open({ feed: 'time', client: 'a' });
		registry.open({ feed: 'time', client: 'a' });
		const perClient = registry.admit('a');
		expect(perClient).toMatchObject({ status: 429, headers: { 'retry-after': '3' } });
		expect(perClient?.body.error.code).toBe('too_many_connections');
		expect(registry.admit('b')).toBeNull();
		registry.open({ feed: 'time', client: 'b' });
		const total = registry.admit('c');
		expect(total).toMatchObject({ status: 503, body: { error: { code: 'at_capacity' } } });
		first.close();
		expect(registry.admit('a')).toBeNull();
		expect(registry.size).toBe(2);
		expect(registry.countByFeed()).toEqual(new Map([['time', 2]]));
	});

	it('reports each stream opened and closed once, with the reason', () => {
		const opened = vi.fn();
		const closed = vi.fn();
		const registry = new StreamRegistry(LIMITS, createClock(), { opened, closed });
		const onClose = vi.fn();
		const connection = registry.open({ feed: 'stocks', client: 'a', onClose });
		connection.write(new Uint8Array(LIMITS.clientBufferBytes));
		connection.close('end');
		expect(opened).toHaveBeenCalledExactlyOnceWith('stocks', connection);
		expect(closed).toHaveBeenCalledExactlyOnceWith('stocks', 'slow');
		expect(onClose).toHaveBeenCalledExactlyOnceWith('slow');
		expect(registry.size).toBe(0);
	});

	it('on shutdown tells every stream to retry later with jitter, closes it and refuses new ones', async () => {
		const clock = createClock();
		const registry = new StreamRegistry(LIMITS, clock);
		const a = registry.open({ feed: 'time', client: 'a' });
		const b = registry.open({ feed: 'time', client: 'b' });
		const onClose = vi.fn();
		const c = registry.open({ feed: 'time', client: 'c', onClose });
		const randoms = [0, 0.5, 0.999];
		registry.shutdown(() => randoms.shift()!);
		expect(onClose).toHaveBeenCalledExactlyOnceWith('shutdown');
		const texts = await Promise.all([a, b, c].map((s) => new Response(s.stream).text()));
		expect(texts.map((t) => t.split('\n\n').at(-2))).toEqual([
			'retry: 2000',
			'retry: 4000',
			'retry: 5996'
		]);
		expect(registry.shuttingDown).toBe(true);
		expect(registry.admit('d')).toMatchObject({
			status: 503,
			body: { error: { code: 'shutting_down' } }
		});
		expect(registry.size).toBe(0);
		expect(clock.active).toBe(0);
	});
});

describe('streamResponse', () => {
	it('answers 200 with the contract headers', () => {
		const registry = new StreamRegistry(LIMITS, createClock());
		const connection = registry.open({ feed: 'time', client: 'a' });
		const response = streamResponse(connection, { 'x-extra': '1' });
		expect(response.status).toBe(200);
		for (const [name, value] of Object.entries(SSE_HEADERS)) {
			expect(response.headers.get(name)).toBe(value);
		}
		expect(response.headers.get('x-extra')).toBe('1');
	});
});
