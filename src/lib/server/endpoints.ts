/**
 * The handler of every route on the process's `Backend`. A `+server.ts` file only passes its
 * request here, so another SvelteKit app can serve the same feeds from its own routes.
 */
import { createEndpoints } from '$lib/backend/endpoints';
import { getBackend } from './backend';
import { withBusHealth } from './health';

export type { FeedRequest, JobRequest } from '$lib/backend/endpoints';

const core = createEndpoints(getBackend);

export const {
	timeStream,
	systemStream,
	stocksStream,
	multiplexStream,
	createTraining,
	listTraining,
	trainingEvents,
	cancelTraining,
	metrics
} = core;

/** `GET /api/health`, with the bus's state (`Health.bus`). */
export async function health(...args: Parameters<typeof core.health>): Promise<Response> {
	return withBusHealth(await core.health(...args), getBackend().bus.status());
}
