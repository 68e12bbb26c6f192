import { describe, expect, it } from 'vitest';
import { ConfigError, readBusConfig } from './config';

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
