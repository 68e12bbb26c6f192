import { getBackend } from 'live-feeds/server';
import type { ServerInit } from '@sveltejs/kit';

export const init: ServerInit = () => {
	// adapter-node waits for open responses on SIGTERM: close our own streams so it can exit.
	process.once('SIGTERM', () => getBackend().shutdown());
};
