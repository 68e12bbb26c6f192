import type { ClientInit } from '@sveltejs/kit';
import { dev } from '$app/environment';
import { base } from '$app/paths';
import { env } from '$env/dynamic/public';

/** Whether this page should run on the mock backend: `npm run dev:mock`, the demo build, or `?mock` in dev. */
function mockRequested(url: URL): boolean {
	return env.PUBLIC_MOCK === '1' || (dev && url.searchParams.has('mock'));
}

/**
 * Starts the mock service worker before the app renders, so no stream can open against a server
 * first. `?scenario=burst` picks the scenario and `?seed=42` makes the simulation repeatable.
 */
export const init: ClientInit = async () => {
	const url = new URL(window.location.href);
	if (!mockRequested(url)) return;
	// Loaded only in mock mode, so msw never reaches a normal build's first page.
	const { startMockWorker } = await import('$lib/mocks/browser');
	const { parseScenario } = await import('$lib/mocks/scenarios');
	const seed = Number.parseInt(url.searchParams.get('seed') ?? '', 10);
	await startMockWorker({
		scenario: parseScenario(url.searchParams.get('scenario')) ?? 'normal',
		seed: Number.isSafeInteger(seed) ? seed : undefined,
		workerUrl: `${base}/mockServiceWorker.js`
	});
};
