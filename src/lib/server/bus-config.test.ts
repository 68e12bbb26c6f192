import { describe, expect, it } from 'vitest';
import { createMemoryBus } from '$lib/backend/bus';
import { ConfigError, readBusConfig } from './config';
import { withBusHealth } from './health';

describe('readBusConfig', () => {
	it('keeps the in-memory bus when REDIS_URL is unset or empty', () => {
		expect(readBusConfig({})).toEqual({ redisUrl: null, leaseMs: 3000, keyPrefix: 'live-feeds:' });
		expect(readBusConfig({ REDIS_URL: '  ' }).redisUrl).toBeNull();
	});

	it('takes a redis:// or rediss:// URL and the lease settings', () => {
		expect(
			readBusConfig({
				REDIS_URL: 'redis://127.0.0.1:6380/2',
				REDIS_LEASE_MS: '500',
				REDIS_KEY_PREFIX: 'x:'
			})
		).toEqual({ redisUrl: 'redis://127.0.0.1:6380/2', leaseMs: 500, keyPrefix: 'x:' });
		expect(readBusConfig({ REDIS_URL: 'rediss://user:pw@cache.example:6379' }).redisUrl).toBe(
			'rediss://user:pw@cache.example:6379'
		);
	});

	it.each(['localhost:6379', 'http://127.0.0.1:6379', 'redis://', 'not a url'])(
		'refuses REDIS_URL=%s with a ConfigError naming the variable',
		(value) => {
			expect(() => readBusConfig({ REDIS_URL: value })).toThrow(ConfigError);
			expect(() => readBusConfig({ REDIS_URL: value })).toThrow(/REDIS_URL/);
		}
	);

	it('refuses a lease too short to renew', () => {
		expect(() => readBusConfig({ REDIS_LEASE_MS: '10' })).toThrow(/REDIS_LEASE_MS/);
	});
});

describe('withBusHealth', () => {
	it('adds the bus to a health answer and leaves errors alone', async () => {
		const bus = createMemoryBus();
		const ok = await withBusHealth(
			new Response(JSON.stringify({ status: 'ok', uptime_s: 1, connections: 0 }), {
				headers: { 'content-type': 'application/json; charset=utf-8' }
			}),
			bus.status()
		);
		expect(ok.headers.get('content-type')).toContain('application/json');
		expect(await ok.json()).toEqual({
			status: 'ok',
			uptime_s: 1,
			connections: 0,
			bus: { kind: 'memory', state: 'ok', leases: [], errors: 0, lag_ms: 0 }
		});
		const down = new Response('{}', { status: 503 });
		expect(await withBusHealth(down, bus.status())).toBe(down);
	});
});
