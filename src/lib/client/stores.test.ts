import { get } from 'svelte/store';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { multiplexFeed, stocksFeed, systemFeed, timeFeed, trainingJob } from './stores';
import { createFakeEventSource, createFakeLifecycle, type FakeEventSourceKit } from './testing';

let kit: FakeEventSourceKit;
const stops: (() => void)[] = [];
const inject = () => ({ EventSource: kit.EventSource, lifecycle: createFakeLifecycle().lifecycle });

beforeEach(() => {
	vi.useFakeTimers();
	kit = createFakeEventSource();
});
afterEach(() => {
	stops.splice(0).forEach((stop) => stop());
	vi.useRealTimers();
});

function open<T>(store: { subscribe(run: (value: T) => void): () => void }): void {
	stops.push(store.subscribe(() => {}));
}

describe('feed URLs', () => {
	it('builds each feed URL from the base URL and the contract paths', () => {
		open(timeFeed(inject()));
		open(timeFeed({ ...inject(), baseUrl: 'https://feeds.example.com/' }));
		open(systemFeed({ ...inject(), intervalMs: 500 }));
		open(stocksFeed({ ...inject(), symbols: ['AAPL', 'MSFT'] }));
		open(stocksFeed(inject()));
		open(
			multiplexFeed({
				...inject(),
				topics: ['time', 'stocks'],
				symbols: ['AAPL'],
				intervalMs: 2000
			})
		);
		open(trainingJob('a b', inject()));
		expect(kit.instances.map((es) => es.url)).toEqual([
			'/api/feeds/time',
			'https://feeds.example.com/api/feeds/time',
			'/api/feeds/system?interval_ms=500',
			'/api/feeds/stocks?symbols=AAPL,MSFT',
			'/api/feeds/stocks',
			'/api/feeds?topics=time,stocks&symbols=AAPL&interval_ms=2000',
			'/api/training/a%20b/events'
		]);
	});

	it('asks for history on the four live feeds, per topic on the multiplexed stream', () => {
		open(timeFeed({ ...inject(), history: 5 }));
		open(systemFeed({ ...inject(), intervalMs: 500, history: 60 }));
		open(stocksFeed({ ...inject(), symbols: ['AAPL'], history: 0 }));
		open(multiplexFeed({ ...inject(), topics: ['stocks'], history: 120 }));
		expect(kit.instances.map((es) => es.url)).toEqual([
			'/api/feeds/time?history=5',
			'/api/feeds/system?interval_ms=500&history=60',
			'/api/feeds/stocks?symbols=AAPL&history=0',
			'/api/feeds?topics=stocks&history=120'
		]);
	});

	it('resumes with the last id and without history: a resume gets what it missed', () => {
		open(systemFeed({ ...inject(), history: 60 }));
		kit.last().open();
		kit.last().send('message', { cpu_percent: 1 }, '41');
		kit.last().fail(503);
		vi.runOnlyPendingTimers();
		expect(kit.last().url).toBe('/api/feeds/system?lastEventId=41');
	});

	it('connects again without history when a server that predates it answers 400', () => {
		const feed = multiplexFeed({ ...inject(), topics: ['time'], history: 60 });
		open(feed);
		kit.last().fail(400);
		expect(kit.instances.map((es) => es.url)).toEqual([
			'/api/feeds?topics=time&history=60',
			'/api/feeds?topics=time'
		]);
		kit.last().open();
		expect(get(feed).status).toBe('open');
		kit.last().fail(400);
		expect(kit.instances).toHaveLength(2);
		expect(get(feed)).toMatchObject({ status: 'closed', lastError: { status: 400, fatal: true } });
	});
});

describe('typed conveniences', () => {
	it('time and system read the unnamed event as latest', () => {
		const time = timeFeed(inject());
		open(time.latest);
		kit.last().open();
		kit.last().send('message', { time: '00:00:01', iso: 'x', epoch_ms: 1 }, '1');
		expect(get(time.latest)?.data.time).toBe('00:00:01');
	});

	it('stocks keeps the latest quote of every requested symbol, subscribed or not', () => {
		const stocks = stocksFeed({ ...inject(), symbols: ['AAPL', 'MSFT'] });
		open(stocks);
		kit.last().open();
		kit.last().send('MSFT', { symbol: 'MSFT', price: 301, change: 1, epoch_ms: 0 }, '3');
		expect(get(stocks.symbol('MSFT'))?.data.price).toBe(301);
		expect(get(stocks).lastEventId).toBe('3');
	});

	it('multiplex routes topics and stocks:<SYMBOL> events', () => {
		const all = multiplexFeed({ ...inject(), symbols: ['AAPL'] });
		open(all);
		kit.last().open();
		kit
			.last()
			.send(
				'stocks:AAPL',
				{ symbol: 'AAPL', price: 150, change: 0, epoch_ms: 0 },
				'time=1;stocks=2'
			);
		kit.last().send('system', { cpu_percent: 5 }, 'time=1;stocks=2;system=1');
		expect(get(all.stock('AAPL'))?.data.price).toBe(150);
		expect(get(all.system)?.data.cpu_percent).toBe(5);
		expect(get(all.time)).toBeUndefined();
		expect(get(all).lastEventId).toBe('time=1;stocks=2;system=1');
	});

	it('a training job closes itself on complete and on cancelled', () => {
		for (const terminal of ['complete', 'cancelled']) {
			const job = trainingJob(`job-${terminal}`, inject());
			open(job);
			kit.last().open();
			kit.last().send(terminal, { message: 'done', duration_ms: 1 }, '9');
			expect(get(job).status).toBe('closed');
			expect(kit.last().closed).toBe(true);
			expect(job.id).toBe(`job-${terminal}`);
		}
	});
});
