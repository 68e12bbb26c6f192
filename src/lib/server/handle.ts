/**
 * The SvelteKit hooks that make the API speak the contract around every route (`answerApi`: JSON
 * `404` and `405`, CORS from `ALLOWED_ORIGINS`, preflight for the training routes), priming of the
 * system sampler, and shutdown on `SIGTERM` and `SIGINT`. An app serving the feeds exports them from hooks.server.ts.
 */
import type { Handle, ServerInit } from '@sveltejs/kit';
import { answerApi, isApiPath } from '$lib/backend/api';
import { getBackend } from './backend';
import { createDirectHandler, type DirectHandler } from './direct/serve';

export { isApiPath };

const SHUTDOWN_HOOKED = Symbol.for('live-feeds.shutdown-hooked');

/**
 * Where `init` leaves the direct path for the production server (server/index.js), which imports the
 * built handler and so cannot import the bundled backend itself.
 */
export const DIRECT_HANDLER = Symbol.for('live-feeds.direct-handler');

/**
 * SvelteKit `init`: takes the first system readings, offers the direct path to a custom server,
 * and closes every stream on `SIGTERM` or `SIGINT`.
 */
export const initBackend: ServerInit = async () => {
	const backend = getBackend();
	// The first CPU and network readings need a baseline; take it before the first client.
	await backend.prime();
	const flags = globalThis as { [SHUTDOWN_HOOKED]?: boolean; [DIRECT_HANDLER]?: DirectHandler };
	flags[DIRECT_HANDLER] ??= createDirectHandler(getBackend);
	if (!flags[SHUTDOWN_HOOKED]) {
		flags[SHUTDOWN_HOOKED] = true;
		// The HTTP server also listens: it stops accepting and exits once our streams have closed.
		for (const signal of ['SIGTERM', 'SIGINT'] as const) {
			process.once(signal, () => {
				const backend = getBackend();
				backend.shutdown();
				// Hands this instance's leases on at once, and lets the process exit: an open Redis
				// connection would keep it alive after the server has closed.
				void backend.bus.close();
			});
		}
	}
};

/** SvelteKit `handle`: the contract's error bodies and CORS on every API path; pages pass through. */
export const handleApi: Handle = async ({ event, resolve }) => {
	if (!isApiPath(event.url.pathname)) return resolve(event);
	const route = event.route.id === null ? null : () => resolve(event);
	return answerApi(event.request, event.url, getBackend().config.allowedOrigins, route);
};
