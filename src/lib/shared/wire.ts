/**
 * The contract's values a client needs at run time: the topics, the API's paths and the stream
 * timings. They live apart from the server's defaults (`DEFAULTS`, `TRAINING_LIMITS` in
 * contract.ts, which re-exports everything here), so a page or a widget downloads only these.
 */

/** The topics the multiplexed stream can carry. */
export const TOPICS = ['time', 'system', 'stocks'] as const;

/** `GET /api/feeds/time`: the time feed. */
export const TIME_PATH = '/api/feeds/time';

/** `GET /api/feeds/system`: the system feed. */
export const SYSTEM_PATH = '/api/feeds/system';

/** `GET /api/feeds/stocks`: the stocks feed. */
export const STOCKS_PATH = '/api/feeds/stocks';

/** `GET /api/feeds`: the multiplexed stream. */
export const MULTIPLEX_PATH = '/api/feeds';

/** `/api/training`: the training jobs. */
export const TRAINING_PATH = '/api/training';

/**
 * The URL paths of the API, relative to a base URL. The client reads the constants above rather
 * than this object, whose properties a bundler keeps all or none of, so a widget carries only the
 * paths it uses.
 */
export const PATHS = {
	time: TIME_PATH,
	system: SYSTEM_PATH,
	stocks: STOCKS_PATH,
	multiplex: MULTIPLEX_PATH,
	training: TRAINING_PATH,
	health: '/api/health',
	metrics: '/metrics'
} as const;

/** The events URL of one training job. */
export function trainingEventsPath(id: string): string {
	return `${TRAINING_PATH}/${encodeURIComponent(id)}/events`;
}

/** The `retry:` every stream starts with, in ms: the least delay before a client's own retry. */
export const RETRY_MS = 2000;

/** The idle time after which a stream gets a `ping` event, in ms. */
export const HEARTBEAT_MS = 15_000;
