import { apiFailure } from '$lib/shared/errors';
import { applyCors, errorResponse, preflight } from '$lib/server/http';
import { getLiveFeeds } from '$lib/server/live-feeds';
import type { Handle, ServerInit } from '@sveltejs/kit';

const SHUTDOWN_HOOKED = Symbol.for('live-feeds.shutdown-hooked');

export const init: ServerInit = async () => {
	const feeds = getLiveFeeds();
	// The first CPU and network readings need a baseline; take it before the first client.
	await feeds.prime();
	const flags = globalThis as { [SHUTDOWN_HOOKED]?: boolean };
	if (!flags[SHUTDOWN_HOOKED]) {
		flags[SHUTDOWN_HOOKED] = true;
		// adapter-node also listens: it stops accepting and exits once our streams have closed.
		process.once('SIGTERM', () => getLiveFeeds().shutdown());
	}
};

const TRAINING_ROUTE = /^\/api\/training(\/[^/]+)?\/?$/;

export const handle: Handle = async ({ event, resolve }) => {
	const { pathname } = event.url;
	const isApi = pathname === '/metrics' || pathname === '/api' || pathname.startsWith('/api/');
	if (!isApi) return resolve(event);
	const { allowedOrigins } = getLiveFeeds().config;
	const origin = event.request.headers.get('origin');
	if (event.request.method === 'OPTIONS' && TRAINING_ROUTE.test(pathname)) {
		const methods =
			pathname === '/api/training' || pathname === '/api/training/' ? ['GET', 'POST'] : ['DELETE'];
		return preflight(origin, allowedOrigins, methods);
	}
	let response: Response;
	if (event.route.id === null) {
		response = errorResponse(apiFailure(404, 'not_found', 'no such API path'));
	} else {
		response = await resolve(event);
		if (response.status === 405 && !response.headers.get('content-type')?.includes('json')) {
			// SvelteKit's own 405 is plain text; the contract wants JSON, keeping its Allow header.
			const allow = response.headers.get('allow') ?? '';
			response = errorResponse(
				apiFailure(405, 'method_not_allowed', `method not allowed; allowed: ${allow}`, { allow })
			);
		}
	}
	return applyCors(response, origin, allowedOrigins);
};
