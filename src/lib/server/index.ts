/**
 * `live-feeds/server`: the SSE backend for another SvelteKit (or any Fetch-API) server. Each
 * handler takes a request event and returns a `Response`, so a `+server.ts` stays one line:
 * `export const GET = (event) => stocksStream(event);`. Server-only: never import it in a browser.
 */
export * from './endpoints';
export { createServerBackend, getBackend, type ServerBackendOptions } from './backend';
export { Backend, type BackendOptions } from '$lib/backend/backend';
export { handleApi, initBackend, isApiPath } from './handle';
export {
	createFeed,
	intervalProducer,
	type CustomFeed,
	type CustomFeedOptions,
	type IntervalProducerOptions,
	type ProducerSource
} from './custom-feed';
export { Hub, type Producer, type HubOptions, type JoinOptions } from '$lib/backend/hub';
export { createMemoryBus, type FeedBus, type FeedMessage } from '$lib/backend/bus';
export { readConfig, ConfigError, type ServerConfig } from './config';
export { createClock, type Clock, type TimerHandle } from '$lib/backend/timers';
export {
	createSystemSampler,
	hostReaderInWorker,
	type HostReader,
	type HostReadings,
	type SystemSampler
} from './system-sampler';
export {
	applyCors,
	preflight,
	errorResponse,
	jsonResponse,
	methodNotAllowed,
	lastEventIdOf
} from '$lib/backend/http';
export {
	StreamRegistry,
	streamResponse,
	SSE_HEADERS,
	type StreamLimits
} from '$lib/backend/sse/registry';
export type { SseConnection, CloseReason } from '$lib/backend/sse/connection';
export type { BackendMetrics } from './metrics';
