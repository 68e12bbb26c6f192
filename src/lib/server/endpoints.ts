/**
 * The handler of every route on the process's `LiveFeeds`. A `+server.ts` file only passes its
 * request here, so another SvelteKit app can serve the same feeds from its own routes.
 */
import { createEndpoints } from '$lib/streaming/endpoints';
import { getLiveFeeds } from './live-feeds';

export type { FeedRequest, JobRequest } from '$lib/streaming/endpoints';

export const {
	timeStream,
	systemStream,
	stocksStream,
	multiplexStream,
	createTraining,
	listTraining,
	trainingEvents,
	cancelTraining,
	health,
	metrics
} = createEndpoints(getLiveFeeds);
