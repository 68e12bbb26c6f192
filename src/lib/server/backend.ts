/** The server's backend: the core `Backend` with the Node parts (environment, host, Prometheus). */
import { Backend, type BackendOptions } from '$lib/backend/backend';
import { createClock } from '$lib/backend/timers';
import { readConfig } from './config';
import { createMetrics } from './metrics';
import { createSystemSampler } from './system-sampler';

/** Parts a test or an embedding app may replace; each defaults to the real one. */
export type ServerBackendOptions = Partial<BackendOptions>;

/**
 * A backend configured from the environment, sampling the real host and counting Prometheus
 * metrics. A process serves one (`getBackend`); tests make their own.
 */
export function createServerBackend(options: ServerBackendOptions = {}): Backend {
	const clock = options.clock ?? createClock();
	return new Backend({
		...options,
		clock,
		config: options.config ?? readConfig(),
		sampler: options.sampler ?? createSystemSampler(clock),
		metrics: options.metrics ?? createMetrics
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
