/**
 * The SvelteKit hooks that make the API speak the contract around every route (`answerApi`: JSON
 * `404` and `405`, CORS from `ALLOWED_ORIGINS`, preflight for the training routes), priming of the
 * system sampler, and shutdown on `SIGTERM`. An app serving the feeds exports them from hooks.server.ts.
 */
import type { Handle, ServerInit } from '@sveltejs/kit';
import { answerApi, isApiPath } from '$lib/backend/api';
import { getBackend } from './backend';

export { isApiPath };

const SHUTDOWN_HOOKED = Symbol.for('live-feeds.shutdown-hooked');

/** SvelteKit `init`: takes the first system readings and closes every stream on `SIGTERM`. */
export const initBackend: ServerInit = async () => {
	const feeds = getBackend();
	// The first CPU and network readings need a baseline; take it before the first client.
	await feeds.prime();
	const flags = globalThis as { [SHUTDOWN_HOOKED]?: boolean };
	if (!flags[SHUTDOWN_HOOKED]) {
		flags[SHUTDOWN_HOOKED] = true;
		// adapter-node also listens: it stops accepting and exits once our streams have closed.
		process.once('SIGTERM', () => {
			const backend = getBackend();
			backend.shutdown();
			// Hands this instance's leases on at once, and lets the process exit: an open Redis
			// connection would keep it alive after adapter-node has closed the server.
			void backend.bus.close();
		});
	}
};

/** SvelteKit `handle`: the contract's error bodies and CORS on every API path; pages pass through. */
export const handleApi: Handle = async ({ event, resolve }) => {
	if (!isApiPath(event.url.pathname)) return resolve(event);
	const route = event.route.id === null ? null : () => resolve(event);
	return answerApi(event.request, event.url, getBackend().config.allowedOrigins, route);
};
