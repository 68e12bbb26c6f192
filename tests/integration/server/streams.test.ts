/**
 * The feeds of the real built app, read with a real EventSource: headers, the first bytes,
 * snapshots on connect, named events, and resume with Last-Event-ID (header and query).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StockQuote, SystemSample, TimeTick } from '$lib/shared/contract';
import { startApp, waitFor, watch, type App, type SeenEvent, type Watcher } from './app';

let app: App;
const open: Watcher[] = [];

beforeAll(async () => {
	app = await startApp({ STOCK_SYMBOLS: 'AAPL:150,MSFT:300' });
});
afterAll(async () => {
	for (const watcher of open) watcher.close();
	await app?.close();
});

function tracked(url: string, options?: Parameters<typeof watch>[1]): Watcher {
	const watcher = watch(`${app.base}${url}`, options);
	open.push(watcher);
	return watcher;
}

/** Ids must be strictly increasing decimal integers with no gap between `from` and the last. */
function expectConsecutive(events: SeenEvent[], from: number): void {
	expect(events.map((e) => Number(e.lastEventId))).toEqual(events.map((_, i) => from + i));
}

describe.concurrent('every stream', () => {
	it.each(['/api/feeds/time', '/api/feeds/system', '/api/feeds/stocks', '/api/feeds'])(
		'%s answers 200 with the SSE headers and starts with retry and a comment',
		async (path) => {
			const controller = new AbortController();
			const response = await fetch(`${app.base}${path}`, { signal: controller.signal });
			expect(response.status).toBe(200);
			expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
			expect(response.headers.get('cache-control')).toBe('no-cache, no-transform');
			expect(response.headers.get('x-accel-buffering')).toBe('no');
			expect(response.headers.get('vary')).toMatch(/Origin/);
			expect(response.headers.get('content-encoding')).toBeNull();
			const reader = response.body!.getReader();
			let text = '';
			while (!text.includes('\n\n')) {
				const { value, done } = await reader.read();
				if (done) break;
				text += new TextDecoder().decode(value);
			}
			expect(text.startsWith('retry: 2000\n: live-feeds\n\n')).toBe(true);
			controller.abort();
			await reader.cancel().catch(() => {});
		}
	);
});

describe.concurrent('HEAD', () => {
	it.each(['/api/feeds/time', '/api/feeds/stocks?symbols=AAPL', '/api/feeds'])(
		'%s answers with the stream headers at once and opens no stream',
		async (path) => {
			const response = await fetch(`${app.base}${path}`, { method: 'HEAD' });
			expect(response.status).toBe(200);
			expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
			expect(await response.text()).toBe('');
		}
	);

	it('validates a HEAD like a GET', async () => {
		const response = await fetch(`${app.base}/api/feeds/stocks?symbols=XYZ`, { method: 'HEAD' });
		expect(response.status).toBe(400);
	});
});

describe.concurrent('time', () => {
	it('sends the current time on connect, then a tick a second, each with an id', async () => {
		const time = tracked('/api/feeds/time');
		const [first, second] = await time.until(2);
		const tick = JSON.parse(first!.data) as TimeTick;
		expect(Object.keys(tick).sort()).toEqual(['epoch_ms', 'iso', 'time']);
		expect(tick.iso).toBe(new Date(tick.epoch_ms).toISOString());
		expect(tick.time).toBe(tick.iso.slice(11, 19));
		expect(tick.epoch_ms % 1000).toBe(0);
		expect(Number(second!.lastEventId)).toBeGreaterThan(Number(first!.lastEventId));
		time.close();
	});

	it.each([
		['the Last-Event-ID header', 'header'],
		['the lastEventId query parameter', 'query']
	])('resumes with %s: no gap, no duplicate', async (_name, how) => {
		const first = tracked('/api/feeds/time');
		const seen = await first.until(2);
		first.close();
		const resumeFrom = Number(seen[1]!.lastEventId);
		// Let the feed move on while nobody from this client listens.
		const other = tracked('/api/feeds/time');
		await waitForId(other, resumeFrom + 2);
		const url = how === 'query' ? `/api/feeds/time?lastEventId=${resumeFrom}` : '/api/feeds/time';
		const resumed = tracked(url, how === 'header' ? { lastEventId: String(resumeFrom) } : {});
		const events = await resumed.until(3);
		expectConsecutive(events, resumeFrom + 1);
		resumed.close();
		other.close();
	});

	it('sends the current state at once for an id it does not recognise, not a replay', async () => {
		// A reference client says what "current" is: a snapshot is the newest event the feed has
		// sent (its id at least the reference's latest), where a replay would start after `id`.
		const reference = tracked('/api/feeds/time');
		await waitForId(reference, 3);
		for (const id of ['abc', '99999999999999', '-1', '2.5', '0x2']) {
			const latest = Math.max(...reference.events.map((e) => Number(e.lastEventId)));
			const watcher = tracked('/api/feeds/time', { lastEventId: id });
			const [event] = await watcher.until(1);
			expect(event!.lastEventId).toMatch(/^\d+$/);
			expect(Number(event!.lastEventId)).toBeGreaterThanOrEqual(latest);
			const tick = JSON.parse(event!.data) as TimeTick;
			expect(tick.epoch_ms).toBeGreaterThanOrEqual(
				(JSON.parse(reference.events[0]!.data) as TimeTick).epoch_ms
			);
			watcher.close();
		}
		reference.close();
	});
});

/** Waits until the watcher has seen an event with id ≥ `id`. */
async function waitForId(watcher: Watcher, id: number): Promise<void> {
	await waitFor(`event id ${id}`, () => watcher.events.some((e) => Number(e.lastEventId) >= id));
}

describe.concurrent('system', () => {
	it('sends the latest sample on connect with every contract field', async () => {
		const system = tracked('/api/feeds/system?interval_ms=500');
		const [event] = await system.until(1);
		const sample = JSON.parse(event!.data) as SystemSample;
		expect(Object.keys(sample).sort()).toEqual(
			[
				'cpu_cores',
				'cpu_percent',
				'epoch_ms',
				'load_avg',
				'memory_percent',
				'memory_total_mb',
				'memory_used_mb',
				'net_rx_bytes_per_s',
				'net_tx_bytes_per_s',
				'uptime_s'
			].sort()
		);
		// Linux hosts (every CI machine here) always report memory, so the relation is checked.
		expect(sample.memory_used_mb).toEqual(expect.any(Number));
		expect(sample.memory_total_mb).toBeGreaterThan(0);
		expect(sample.memory_percent).toBeCloseTo(
			(sample.memory_used_mb! / sample.memory_total_mb!) * 100,
			1
		);
		system.close();
	});
});

describe.concurrent('stocks', () => {
	it('sends every requested symbol at once as a named event, then moves', async () => {
		const stocks = tracked('/api/feeds/stocks?symbols=MSFT', { types: ['AAPL', 'MSFT'] });
		const [snapshot] = await stocks.until(1);
		expect(snapshot!.type).toBe('MSFT');
		const quote = JSON.parse(snapshot!.data) as StockQuote;
		expect(Object.keys(quote).sort()).toEqual(['change', 'epoch_ms', 'price', 'symbol']);
		expect(quote.symbol).toBe('MSFT');
		const all = tracked('/api/feeds/stocks', { types: ['AAPL', 'MSFT'] });
		const initial = await all.until(2);
		expect(initial.slice(0, 2).map((e) => e.type)).toEqual(['AAPL', 'MSFT']);
		// Only the last event of the snapshot carries the position.
		expect(initial[1]!.lastEventId).toMatch(/^\d+$/);
		stocks.close();
		all.close();
	});

	it('resumes from Last-Event-ID with every missed move, in order', async () => {
		const first = tracked('/api/feeds/stocks', { types: ['AAPL', 'MSFT'] });
		const seen = await first.until(3);
		first.close();
		const resumeFrom = Number(seen[2]!.lastEventId);
		const other = tracked('/api/feeds/stocks', { types: ['AAPL', 'MSFT'] });
		await waitForId(other, resumeFrom + 2);
		const resumed = tracked('/api/feeds/stocks', {
			types: ['AAPL', 'MSFT'],
			lastEventId: String(resumeFrom)
		});
		const events = await resumed.until(2);
		expectConsecutive(events, resumeFrom + 1);
		// The replay is the same bytes the other client got live.
		for (const event of events) {
			const live = other.events.find((e) => e.lastEventId === event.lastEventId);
			expect(live).toEqual(event);
		}
		for (const event of events) {
			const quote = JSON.parse(event.data) as StockQuote;
			expect(quote.symbol).toBe(event.type);
			expect(quote.price).toBeGreaterThanOrEqual(0);
			expect(Math.abs(quote.change)).toBeLessThanOrEqual(0.5);
		}
		resumed.close();
		other.close();
	});
});

describe.concurrent('multiplexed', () => {
	it('carries several feeds on one stream with composite ids, and resumes each', async () => {
		const types = ['time', 'system', 'stocks:AAPL', 'stocks:MSFT'];
		const mux = tracked('/api/feeds?topics=time,stocks&symbols=AAPL', { types });
		const snapshot = await mux.until(2);
		// Each feed's newest event, in the order they happened; the second id holds both positions.
		expect(snapshot.map((e) => e.type).sort()).toEqual(['stocks:AAPL', 'time']);
		expect(snapshot[1]!.lastEventId).toMatch(/^time=\d+;stocks=\d+$/);
		const live = await mux.until(4);
		mux.close();
		const resumeFrom = live[2]!.lastEventId;
		const other = tracked('/api/feeds?topics=time,stocks&symbols=AAPL', { types });
		await other.until(4);
		const resumed = tracked(
			`/api/feeds?topics=time,stocks&symbols=AAPL&lastEventId=${resumeFrom}`,
			{
				types
			}
		);
		const events = await resumed.until(2, 'time');
		const timeId = (e: SeenEvent) => Number(/time=(\d+)/.exec(e.lastEventId)![1]);
		// Every time tick after the resumed position, none twice, whatever stocks did meanwhile.
		const from = Number(/time=(\d+)/.exec(resumeFrom)![1]);
		expect(events.map(timeId)).toEqual(events.map((_, i) => from + 1 + i));
		resumed.close();
		other.close();
	});
});
