/**
 * The SvelteKit hooks that make the API speak the contract around every route: JSON `404` and
 * `405`, CORS from `ALLOWED_ORIGINS`, preflight for the training routes, priming of the system
 * sampler, and shutdown on `SIGTERM`. An app serving the feeds exports them from hooks.server.ts.
 */
import type { Handle, ServerInit } from '@sveltejs/kit';
import { apiFailure } from '$lib/shared/errors';
import { applyCors, errorResponse, preflight } from './http';
import { getLiveFeeds } from './live-feeds';

const SHUTDOWN_HOOKED = Symbol.for('live-feeds.shutdown-hooked');
const TRAINING_ROUTE = /^\/api\/training(\/[^/]+(\/events)?)?\/?$/;

/** The methods a training route allows, for its preflight. */
function trainingMethods(pathname: string): string[] {
	if (pathname === '/api/training' || pathname === '/api/training/') return ['GET', 'POST'];
	// A cross-origin fetch() of a job's events that sends Last-Event-ID is preflighted too.
	return /\/events\/?$/.test(pathname) ? ['GET'] : ['DELETE'];
}

/** SvelteKit `init`: takes the first system readings and closes every stream on `SIGTERM`. */
export const initLiveFeeds: ServerInit = async () => {
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

/** True for the paths the API owns: `/api/**` and `/metrics`. */
export function isApiPath(pathname: string): boolean {
	return pathname === '/metrics' || pathname === '/api' || pathname.startsWith('/api/');
}

/** SvelteKit `handle`: the contract's error bodies and CORS on every API path; pages pass through. */
export const handleApi: Handle = async ({ event, resolve }) => {
	const { pathname } = event.url;
	if (!isApiPath(pathname)) return resolve(event);
	const { allowedOrigins } = getLiveFeeds().config;
	const origin = event.request.headers.get('origin');
	if (event.request.method === 'OPTIONS' && TRAINING_ROUTE.test(pathname)) {
		return preflight(origin, allowedOrigins, trainingMethods(pathname));
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
