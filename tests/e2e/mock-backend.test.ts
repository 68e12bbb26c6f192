/**
 * Proof that the mock backend needs no API server: `npm run dev:mock` (vite dev with
 * PUBLIC_MOCK=1) and the static demo both show every feed moving, and every request the page
 * makes to /api/* is answered by the service worker; none reaches a server.
 */
import { expect, test, type BrowserContext, type Page, type Request } from '@playwright/test';
import { freePort, startProcess, type Started } from '../support/processes';
import { serveStatic } from '../support/static-server';
import { expectDashboardLive, runShortJob } from './dashboard-helpers';

/** Records every request of the context (pages and the service worker). */
function recordRequests(context: BrowserContext): Request[] {
	const seen: Request[] = [];
	context.on('request', (request) => seen.push(request));
	return seen;
}

const isApi = (request: Request) => new URL(request.url()).pathname.startsWith('/api/');

async function expectApiAnsweredByWorker(requests: Request[]): Promise<void> {
	const api = requests.filter(isApi);
	expect(api.length).toBeGreaterThan(0);
	for (const request of api) {
		// A request the worker sent on to the network would be issued by the worker itself.
		expect(request.serviceWorker(), request.url()).toBeNull();
		const response = await request.response();
		expect(response?.fromServiceWorker(), request.url()).toBe(true);
	}
}

async function showsAllFeeds(page: Page): Promise<void> {
	await expect(page.getByText('Mocked data.')).toBeVisible({ timeout: 60_000 });
	await expectDashboardLive(page);
	await runShortJob(page, 1, 10);
}

test('npm run dev:mock shows every feed with no API server', async ({ context, page }) => {
	test.setTimeout(150_000);
	let vite: Started | null = null;
	try {
		const port = await freePort();
		vite = await startProcess({
			command: 'node_modules/.bin/vite',
			// --strictPort fails rather than moving to another port than the one waited on.
			args: ['dev', '--port', String(port), '--strictPort'],
			port,
			env: { PUBLIC_MOCK: '1' },
			readyPath: '/favicon.ico'
		});
		const requests = recordRequests(context);
		await page.goto(vite.url);
		await showsAllFeeds(page);
		await expectApiAnsweredByWorker(requests);
	} finally {
		await vite?.stop();
	}
});

test('the static demo never sends an API request to its server', async ({ context, page }) => {
	test.setTimeout(90_000);
	const reached: string[] = [];
	const demo = await serveStatic('build-demo', 0, (path) => reached.push(path));
	try {
		const requests = recordRequests(context);
		await page.goto(demo.url);
		await showsAllFeeds(page);
		await expectApiAnsweredByWorker(requests);
		expect(reached.filter((path) => path.startsWith('/api'))).toEqual([]);
		expect(reached).toContain('/mockServiceWorker.js');
	} finally {
		demo.server.closeAllConnections();
		await new Promise((resolve) => demo.server.close(resolve));
	}
});
