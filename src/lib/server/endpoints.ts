/**
 * The handler of every route on the process's `Backend`. A `+server.ts` file only passes its
 * request here, so another SvelteKit app can serve the same feeds from its own routes.
 */
import { createEndpoints } from '$lib/backend/endpoints';
import { getBackend } from './backend';

export type { FeedRequest, JobRequest } from '$lib/backend/endpoints';

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
} = createEndpoints(getBackend);
