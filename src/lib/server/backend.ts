/** The server's backend: the core `Backend` with the Node parts (environment, host, Prometheus). */
import { Backend, type BackendOptions } from '$lib/backend/backend';
import { createClock } from '$lib/backend/timers';
import { readBusConfig, readConfig, type ServerConfig } from './config';
import { createMetrics } from './metrics';
import { createRedisBus, isRedisBus, type RedisBus } from './redis-bus';
import { createRedisJobs } from './redis-jobs';
import { createSystemSampler } from './system-sampler';

/** Parts a test or an embedding app may replace; each defaults to the real one. */
export type ServerBackendOptions = Partial<BackendOptions>;

/**
 * The bus `REDIS_URL` chooses: set, the Redis bus that instances sharing that Redis serve one set
 * of feeds through; unset, undefined (the backend's own in-memory bus). Throws `ConfigError` on a
 * bad URL.
 */
export function busFromEnv(
	config: ServerConfig,
	env: Record<string, string | undefined> = process.env
): RedisBus | undefined {
	const bus = readBusConfig(env);
	if (bus.redisUrl === null) return undefined;
	return createRedisBus({
		url: bus.redisUrl,
		replayEvents: config.replayEvents,
		leaseMs: bus.leaseMs,
		prefix: bus.keyPrefix
	});
}

/**
 * A backend configured from the environment, sampling the real host and counting Prometheus
 * metrics. With the Redis bus, the training jobs live in the same Redis. A process serves one
 * (`getBackend`); tests make their own.
 */
export function createServerBackend(options: ServerBackendOptions = {}): Backend {
	const clock = options.clock ?? createClock();
	const config = options.config ?? readConfig();
	const bus = options.bus ?? busFromEnv(config);
	return new Backend({
		...options,
		clock,
		config,
		bus,
		sampler: options.sampler ?? createSystemSampler(clock),
		metrics: options.metrics ?? createMetrics,
		jobs:
			options.jobs ??
			(isRedisBus(bus)
				? (limits, jobClock) =>
						createRedisJobs({ bus, limits, clock: jobClock, newId: options.newJobId })
				: undefined)
	});
}

const KEY = Symbol.for('live-feeds.server');

/**
 * The process-wide backend, kept on `globalThis` so Vite's hot reload reuses it instead of
 * stacking a second set of producers and timers.
 */
export function getBackend(): Backend {
	const store = globalThis as { [KEY]?: Backend };
	return (store[KEY] ??= createServerBackend());
}
