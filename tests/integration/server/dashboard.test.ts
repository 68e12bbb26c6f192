/**
 * The dashboard page as the built server renders it: it asks for the symbols this server was
 * configured with, so a server with other `STOCK_SYMBOLS` still shows every one of them.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startApp, watch, type App, type Watcher } from './app';

let app: App;
let watcher: Watcher | undefined;

beforeAll(async () => {
	app = await startApp({ STOCK_SYMBOLS: 'TSLA:200,NVDA:500' });
});
afterAll(async () => {
	watcher?.close();
	await app?.close();
});

it('renders a card for each configured symbol and none for the defaults', async () => {
	const html = await (await fetch(`${app.base}/`)).text();
	const cards = [...html.matchAll(/data-testid="stock-([A-Z]+)"/g)].map((m) => m[1]);
	expect(cards).toEqual(['TSLA', 'NVDA']);
});

it('gives the page those symbols as data, which the multiplexed stream accepts', async () => {
	const response = await fetch(`${app.base}/__data.json`);
	expect(response.status).toBe(200);
	const body = await response.text();
	expect(body).toContain('"TSLA","NVDA"');
	expect(body).not.toContain('AAPL');
	watcher = watch(`${app.base}/api/feeds?topics=stocks&symbols=TSLA,NVDA`, {
		types: ['stocks:TSLA', 'stocks:NVDA']
	});
	const snapshot = await watcher.until(2);
	expect(snapshot.map((e) => e.type)).toEqual(['stocks:TSLA', 'stocks:NVDA']);
});
