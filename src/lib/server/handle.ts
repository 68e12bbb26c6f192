/**
 * The SvelteKit hooks that make the API speak the contract around every route (`answerApi`: JSON
 * `404` and `405`, CORS from `ALLOWED_ORIGINS`, preflight for the training routes), priming of the
 * system sampler, and shutdown on `SIGTERM` and `SIGINT`. An app serving the feeds exports them from hooks.server.ts.
 */
import type { Handle, ServerInit } from '@sveltejs/kit';
import { answerApi, isApiPath } from '$lib/streaming/api';
import { getLiveFeeds } from './live-feeds';

export { isApiPath };

const SHUTDOWN_HOOKED = Symbol.for('live-feeds.shutdown-hooked');

/** SvelteKit `init`: takes the first system readings and closes every stream on `SIGTERM` or `SIGINT`. */
export const initLiveFeeds: ServerInit = async () => {
	const feeds = getLiveFeeds();
	// The first CPU and network readings need a baseline; take it before the first client.
	await feeds.prime();
	const flags = globalThis as { [SHUTDOWN_HOOKED]?: boolean };
	if (!flags[SHUTDOWN_HOOKED]) {
		flags[SHUTDOWN_HOOKED] = true;
		// adapter-node also listens to both: it stops accepting and exits once our streams have
		// closed. Without our SIGINT, Ctrl-C left every stream open until SHUTDOWN_TIMEOUT.
		for (const signal of ['SIGTERM', 'SIGINT'] as const) {
			process.once(signal, () => getLiveFeeds().shutdown());
		}
	}
};

/** SvelteKit `handle`: the contract's error bodies and CORS on every API path; pages pass through. */
export const handleApi: Handle = async ({ event, resolve }) => {
	if (!isApiPath(event.url.pathname)) return resolve(event);
	const route = event.route.id === null ? null : () => resolve(event);
	return answerApi(event.request, event.url, getLiveFeeds().config.allowedOrigins, route);
};
