/**
 * Many clients on the real built app: 100 clients share one system producer (one sample per
 * interval, the same sample to all), and 1000 connect/disconnect cycles leave no subscriber, no
 * producer and no timer behind. No training job runs here: a finished job arms its TTL timer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SystemSample } from '$lib/shared/contract';
import type { Backend } from '$lib/backend/backend';
import { readMetrics, startApp, sumMetric, waitFor, watch, type App, type Watcher } from './app';

let app: App;
const open: Watcher[] = [];

beforeAll(async () => {
	// All clients come from 127.0.0.1: lift the per-client cap above the 100 opened at once.
	app = await startApp({ MAX_CONNECTIONS_PER_CLIENT: '500' });
});
afterAll(async () => {
	for (const watcher of open) watcher.close();
	await app?.close();
});

/** The app's process-wide instance (the built handler runs in this process). */
function liveFeeds(): Backend {
	const feeds = (globalThis as { [key: symbol]: Backend | undefined })[
		Symbol.for('live-feeds.server')
	];
	if (!feeds) throw new Error('the app has not created its Backend instance');
	return feeds;
}

async function expectIdle(): Promise<void> {
	await waitFor('every stream, producer and timer to be gone', async () => {
		const metrics = await readMetrics(app.base);
		return (
			sumMetric(metrics, 'live_feeds_connections') === 0 &&
			metrics.get('live_feeds_producers_running') === 0 &&
			metrics.get('live_feeds_timers_armed') === 0
		);
	});
}

describe('load', () => {
	it('serves 100 clients from one system producer: one sample per interval, the same to all', async () => {
		const feeds = liveFeeds();
		let samples = 0;
		const sample = feeds.sampler.sample.bind(feeds.sampler);
		feeds.sampler.sample = () => {
			samples++;
			return sample();
		};
		const clients = Array.from({ length: 100 }, () => {
			const watcher = watch(`${app.base}/api/feeds/system?interval_ms=500`);
			open.push(watcher);
			return watcher;
		});
		await Promise.all(clients.map((c) => c.until(1)));
		const metrics = await readMetrics(app.base);
		expect(metrics.get('live_feeds_connections{feed="system"}')).toBe(100);
		expect(metrics.get('live_feeds_producers_running')).toBe(1);

		// From here on every client is live: count the samples while each gets 3 more events.
		const firstLive =
			Math.max(...clients.flatMap((c) => c.events.map((e) => Number(e.lastEventId)))) + 1;
		const before = samples;
		const live = (c: Watcher) => c.events.filter((e) => Number(e.lastEventId) >= firstLive);
		await Promise.all(
			clients.map((c) => waitFor('3 live samples', () => live(c).length >= 3, 20_000))
		);
		const taken = samples - before;
		const newest = Math.max(...clients.flatMap((c) => c.events.map((e) => Number(e.lastEventId))));
		const reference = live(clients[0]!).slice(0, 3);
		for (const client of clients) {
			expect(live(client).slice(0, 3)).toEqual(reference);
		}
		expect(reference.map((e) => Number(e.lastEventId))).toEqual([
			firstLive,
			firstLive + 1,
			firstLive + 2
		]);
		const epochs = reference.map((e) => (JSON.parse(e.data) as SystemSample).epoch_ms);
		expect(new Set(epochs).size).toBe(3);
		// One reading per event sent (plus one in flight at each end), not one per client.
		const sent = newest - firstLive + 1;
		expect(taken).toBeGreaterThanOrEqual(sent - 1);
		expect(taken).toBeLessThanOrEqual(sent + 1);

		for (const client of clients) client.close();
		await expectIdle();
	}, 60_000);

	it('leaves no subscriber, producer or timer after 1000 connect/disconnect cycles', async () => {
		const paths = [
			'/api/feeds/time',
			'/api/feeds/stocks?symbols=AAPL',
			'/api/feeds/system',
			'/api/feeds/system?interval_ms=700',
			'/api/feeds?topics=time,system,stocks',
			'/api/feeds?topics=stocks&symbols=MSFT'
		];
		const before = sumMetric(await readMetrics(app.base), 'live_feeds_streams_closed_total');
		const batch = 50;
		for (let start = 0; start < 1000; start += batch) {
			await Promise.all(
				Array.from({ length: batch }, async (_, i) => {
					const types = ['time', 'system', 'stocks:AAPL', 'stocks:MSFT', 'AAPL'];
					const watcher = watch(`${app.base}${paths[(start + i) % paths.length]}`, { types });
					try {
						await watcher.until(1);
					} finally {
						watcher.close();
					}
				})
			);
		}
		await expectIdle();
		const metrics = await readMetrics(app.base);
		expect(sumMetric(metrics, 'live_feeds_streams_closed_total') - before).toBe(1000);
		expect(sumMetric(metrics, 'live_feeds_slow_clients_dropped_total')).toBe(0);
		expect(liveFeeds().streams.size).toBe(0);
		const health = (await (await fetch(`${app.base}/api/health`)).json()) as {
			connections: number;
		};
		expect(health.connections).toBe(0);
	}, 120_000);
});
