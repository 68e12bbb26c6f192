/**
 * The dashboard page as the built server sends it: it carries the symbols this server was
 * configured with, so a server with other `STOCK_SYMBOLS` still gets every one of them asked for.
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

it("names the server's symbols in the page, and the multiplexed stream accepts them", async () => {
	const html = await (await fetch(`${app.base}/`)).text();
	expect(html).toContain('<meta name="live-feeds-symbols" content="TSLA,NVDA" />');
	expect(html).not.toContain('AAPL');
	watcher = watch(`${app.base}/api/feeds?topics=stocks&symbols=TSLA,NVDA`, {
		types: ['stocks:TSLA', 'stocks:NVDA']
	});
	const snapshot = await watcher.until(2);
	expect(snapshot.map((e) => e.type)).toEqual(['stocks:TSLA', 'stocks:NVDA']);
});
