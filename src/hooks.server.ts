import type { Handle } from '@sveltejs/kit';
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

export const handle = sequence(handleApi, serverSymbols);
