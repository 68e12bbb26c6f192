import { dev } from '$app/environment';
import { env } from '$env/dynamic/public';
import { defaultConfig } from '$lib/streaming/config';
import { getLiveFeeds } from '$lib/server/live-feeds';
import type { PageServerLoad } from './$types';

// `npm run build:demo` (DEMO=1) has no server to ask later, so its page is rendered at build time.
const demo = process.env.DEMO === '1';

/** Prerendered only in the static demo; the served dashboard asks the running server. */
export const prerender = demo;

/**
 * The stock symbols the dashboard asks for: the server's own (`STOCK_SYMBOLS`), so a server with
 * other symbols still shows them all; in mock mode, the mock backend's.
 */
export const load: PageServerLoad = ({ url }) => {
	const mocked = demo || env.PUBLIC_MOCK === '1' || (dev && url.searchParams.has('mock'));
	const config = mocked ? defaultConfig() : getLiveFeeds().config;
	return { symbols: config.stockSymbols.map((s) => s.symbol) };
};
