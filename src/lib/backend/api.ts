/**
 * What makes the API speak the contract around every route, for the server's `handle` hook and
 * the mock's MSW handlers alike: JSON `404` and `405`, CORS, and the training routes' preflight.
 */
import { apiFailure } from '$lib/shared/errors';
import { applyCors, errorResponse, preflight } from './http';

const TRAINING_ROUTE = /^\/api\/training(\/[^/]+(\/events)?)?\/?$/;

/** The methods a training route allows, for its preflight. */
function trainingMethods(pathname: string): string[] {
	if (pathname === '/api/training' || pathname === '/api/training/') return ['GET', 'POST'];
	// A cross-origin fetch() of a job's events that sends Last-Event-ID is preflighted too.
	return /\/events\/?$/.test(pathname) ? ['GET'] : ['DELETE'];
}

/** True for the paths the API owns: `/api/**` and `/metrics/**` (JSON `404` below them). */
export function isApiPath(pathname: string): boolean {
	return ['/api', '/metrics'].some((root) => pathname === root || pathname.startsWith(`${root}/`));
}

/**
 * Answers one API request: the preflight of a training route, JSON `404` when no route matches
 * (`route` null), the route's answer with a plain-text `405` turned into the contract's JSON, and
 * CORS for `allowedOrigins` on all of them.
 */
export async function answerApi(
	request: Request,
	url: URL,
	allowedOrigins: readonly string[],
	route: (() => Response | Promise<Response>) | null
): Promise<Response> {
	const origin = request.headers.get('origin');
	if (request.method === 'OPTIONS' && TRAINING_ROUTE.test(url.pathname)) {
		return preflight(origin, allowedOrigins, trainingMethods(url.pathname));
	}
	let response: Response;
	if (route === null) {
		response = errorResponse(apiFailure(404, 'not_found', 'no such API path'));
	} else {
		response = await route();
		if (response.status === 405 && !response.headers.get('content-type')?.includes('json')) {
			// SvelteKit's own 405 is plain text; the contract wants JSON, keeping its Allow header.
			const allow = response.headers.get('allow') ?? '';
			response = errorResponse(
				apiFailure(405, 'method_not_allowed', `method not allowed; allowed: ${allow}`, { allow })
			);
		}
	}
	return applyCors(response, origin, allowedOrigins);
}
