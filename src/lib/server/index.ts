/**
 * `live-feeds/server`: the SSE backend for another SvelteKit (or any Fetch-API) server. Each
 * handler takes a request event and returns a `Response`, so a `+server.ts` stays one line:
 * `export const GET = (event) => stocksStream(event);`. Server-only: never import it in a browser.
 */
export * from './endpoints';
export { LiveFeeds, getLiveFeeds, type LiveFeedsOptions } from './live-feeds';
export { handleApi, initLiveFeeds, isApiPath } from './handle';
export {
	createFeed,
	intervalProducer,
	type CustomFeed,
	type CustomFeedOptions,
	type IntervalProducerOptions,
	type ProducerSource
} from './custom-feed';
export { Hub, type Producer, type HubOptions, type JoinOptions } from '$lib/streaming/hub';
export { createMemoryBus, type FeedBus, type FeedMessage } from '$lib/streaming/bus';
export { readConfig, ConfigError, type ServerConfig } from './config';
export { createClock, type Clock, type TimerHandle } from '$lib/streaming/timers';
export {
	createSystemSampler,
	hostReaderInWorker,
	type HostReader,
	type HostReadings,
	type SystemSampler
} from './feeds/system';
export {
	applyCors,
	preflight,
	errorResponse,
	jsonResponse,
	methodNotAllowed,
	lastEventIdOf
} from '$lib/streaming/http';
export {
	StreamRegistry,
	streamResponse,
	SSE_HEADERS,
	type StreamLimits
} from '$lib/streaming/sse/streams';
export type { SseConnection, CloseReason } from '$lib/streaming/sse/connection';
export type { LiveFeedsMetrics } from './metrics';
