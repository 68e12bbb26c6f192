import type { Handle, HandleServerError } from '@sveltejs/kit';
import { sequence } from '@sveltejs/kit/hooks';
import { handleApi, initBackend } from '$lib/server/handle';
import { getBackend } from '$lib/server/backend';

export const init = initBackend;

/**
 * Fills app.html's `live-feeds-symbols` meta tag with this server's `STOCK_SYMBOLS`, so the
 * dashboard asks for the symbols the server has (page data would cost the page SvelteKit's data
 * loader, about 1.6 KB gzip, for one short list).
 */
const serverSymbols: Handle = ({ event, resolve }) =>
	resolve(event, {
		transformPageChunk: ({ html }) =>
			html.replace(
				'%live-feeds.symbols%',
				getBackend()
					.config.stockSymbols.map((s) => s.symbol)
					.join(',')
			)
	});

/**
 * Headers every answer carries (the page's CSP comes from `kit.csp` in svelte.config.js): no
 * content sniffing, and no full URL in the Referer sent to other origins.
 */
const securityHeaders: Handle = async ({ event, resolve }) => {
	const response = await resolve(event);
	response.headers.set('x-content-type-options', 'nosniff');
	response.headers.set('referrer-policy', 'strict-origin-when-cross-origin');
	return response;
};

export const handle = sequence(securityHeaders, handleApi, serverSymbols);

/**
 * Logs what went wrong on the server, but not a page path that does not exist: Kit's default
 * prints a line for every 404, so any client could fill the log with them (issue 14, defect 5).
 */
export const handleError: HandleServerError = ({ error, status, message }) => {
	if (status !== 404) console.error(error);
	return { message };
};
