/** The server's `LiveFeeds`: the core container with the Node parts (environment, host, Prometheus). */
import { LiveFeeds as CoreLiveFeeds, type CoreOptions } from '$lib/streaming/live-feeds';
import { readConfig } from './config';
import { createSystemSampler } from './feeds/system';
import { createMetrics } from './metrics';
import { createClock } from '$lib/streaming/timers';

/** Parts a test or an embedding app may replace; each defaults to the real one. */
export type LiveFeedsOptions = Partial<CoreOptions>;

/**
 * Everything one server process runs (see the core `LiveFeeds`), by default configured from the
 * environment, sampling the real host and counting Prometheus metrics. Create one per process
 * (`getLiveFeeds`).
 */
export class LiveFeeds extends CoreLiveFeeds {
	constructor(options: LiveFeedsOptions = {}) {
		const clock = options.clock ?? createClock();
		super({
			...options,
			clock,
			config: options.config ?? readConfig(),
			sampler: options.sampler ?? createSystemSampler(clock),
			metrics: options.metrics ?? createMetrics
		});
	}
}

const KEY = Symbol.for('live-feeds.server');

/**
 * The process-wide instance, kept on `globalThis` so Vite's hot reload reuses it instead of
 * stacking a second set of producers and timers.
 */
export function getLiveFeeds(): LiveFeeds {
	const store = globalThis as { [KEY]?: LiveFeeds };
	return (store[KEY] ??= new LiveFeeds());
}
