import type { Handle, HandleServerError } from '@sveltejs/kit';
import { sequence } from '@sveltejs/kit/hooks';
import { handleApi, initLiveFeeds } from '$lib/server/handle';
import { getLiveFeeds } from '$lib/server/live-feeds';

export const init = initLiveFeeds;

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
				getLiveFeeds()
					.config.stockSymbols.map((s) => s.symbol)
					.join(',')
			)
	});

export const handle = sequence(handleApi, serverSymbols);

/**
 * Logs what went wrong on the server, but not a page path that does not exist: Kit's default
 * prints a line for every 404, so any client could fill the log with them (issue 14, defect 5).
 */
export const handleError: HandleServerError = ({ error, status, message }) => {
	if (status !== 404) console.error(error);
	return { message };
};
