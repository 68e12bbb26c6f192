import { get, type Readable } from 'svelte/store';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createFeedSource, type FeedSource } from './feed-source';
import { stocksFeed } from './stores';
import { createFakeBrowser, type FakeBrowser, type FakeTab } from './testing';
import type { FeedSourceOptions, FeedValue } from './types';

type Events = {
	message: { n: number };
	other: { v: string };
	complete: { done: true };
	ping: { epoch_ms: number };
};

const URL = 'http://feeds.test/api/feeds/x';
let browser: FakeBrowser;
const cleanups: (() => void)[] = [];

function source(tab: FakeTab, options: FeedSourceOptions = {}, url = URL) {
	return createFeedSource<Events>(url, {
		EventSource: tab.es.EventSource,
		locks: tab.locks,
		BroadcastChannel: tab.BroadcastChannel,
		lifecycle: { subscribe: () => () => {} },
		random: () => 0.5,
		...options
	});
}

/** Subscribes for the rest of the test (or until the returned stop); records every value. */
function watch<T>(store: Readable<T>): { values: T[]; stop: () => void } {
	const values: T[] = [];
	const stop = store.subscribe((value) => values.push(value));
	cleanups.push(stop);
	return { values, stop };
}

/** One tab with one source on `url`, its state and `message` values watched. */
function openTab(options: FeedSourceOptions = {}, url = URL) {
	const tab = browser.tab();
	const feed = source(tab, options, url);
	const state = watch(feed);
	const messages = watch(feed.event('message'));
	const close = () => {
		messages.stop();
		state.stop();
	};
	return { tab, feed, state, messages, close, closed: false };
}

/** Lets locks, channel messages and the relay's lazy import run to the end (no timers move). */
async function settle(): Promise<void> {
	for (let round = 0; round < 30; round += 1) {
		await vi.dynamicImportSettled();
		await Promise.resolve();
	}
}

const ns = (values: (FeedValue<{ n: number }> | undefined)[]) =>
	values.filter((value) => value !== undefined).map((value) => value.data.n);

const openStreams = (...tabs: { tab: FakeTab }[]) =>
	tabs.reduce((sum, { tab }) => sum + tab.es.openCount(), 0);

function leaderOf<T extends { tab: FakeTab }>(...tabs: T[]): T {
	const leaders = tabs.filter(({ tab }) => tab.es.openCount() === 1);
	expect(leaders).toHaveLength(1);
	return leaders[0] as T;
}

beforeEach(() => {
	vi.useFakeTimers({ now: 1_000_000 });
	browser = createFakeBrowser();
});

afterEach(() => {
	cleanups.splice(0).forEach((stop) => stop());
	vi.useRealTimers();
});

describe('election', () => {
	it('opens one EventSource for three tabs on one URL, in the tab that got the lock', async () => {
		const tabs = [openTab(), openTab(), openTab()];
		await settle();
		expect(openStreams(...tabs)).toBe(1);
		expect(tabs[0]?.tab.es.openCount()).toBe(1);
		expect(browser.heldLocks()).toEqual([expect.stringContaining(URL)]);
	});

	it('elects one leader per URL, and nothing is shared between two URLs', async () => {
		const a = [openTab(), openTab()];
		const b = [openTab({}, `${URL}?y=1`), openTab({}, `${URL}?y=1`)];
		await settle();
		expect(openStreams(...a)).toBe(1);
		expect(openStreams(...b)).toBe(1);
		expect(browser.heldLocks()).toHaveLength(2);
	});

	it('connects each tab on its own with shareAcrossTabs: false, or without Web Locks', async () => {
		const off = [openTab({ shareAcrossTabs: false }), openTab({ shareAcrossTabs: false })];
		// A browser without the Web Locks API: the BroadcastChannel alone is not enough.
		const noLocks = [openTab({ locks: undefined }, `${URL}?z=1`)];
		await settle();
		expect(openStreams(...off)).toBe(2);
		expect(noLocks[0]?.tab.es.openCount()).toBe(1);
		expect(browser.heldLocks()).toEqual([]);
		expect(browser.posted).toEqual([]);
	});

	it('names the lock and the channel after the absolute URL', async () => {
		vi.stubGlobal('location', { href: 'https://app.example/page' });
		try {
			openTab({}, '/api/feeds/time');
			await settle();
			expect(browser.heldLocks()[0]).toContain('https://app.example/api/feeds/time');
			expect(browser.posted[0]?.[0]).toContain('https://app.example/api/feeds/time');
		} finally {
			vi.unstubAllGlobals();
		}
	});
});

describe('relay', () => {
	it('shows every tab the same events and the same connection state', async () => {
		const tabs = [openTab(), openTab(), openTab()];
		await settle();
		const leader = leaderOf(...tabs);
		leader.tab.es.last().open();
		leader.tab.es.last().send('message', { n: 1 }, '1');
		leader.tab.es.last().send('message', { n: 2 }, '2');
		await settle();
		for (const tab of tabs) {
			expect(ns(tab.messages.values)).toEqual([1, 2]);
			expect(get(tab.feed)).toMatchObject({ status: 'open', lastEventId: '2', attempt: 0 });
		}
	});

	it('hands a tab that joins later the latest value, or the last `sharedHistory` of each name', async () => {
		const first = openTab({ sharedHistory: 3 });
		watch(first.feed.event('other'));
		await settle();
		const es = first.tab.es.last();
		es.open();
		for (let n = 1; n <= 5; n += 1) es.send('message', { n }, String(n));
		es.send('other', { v: 'x' }, '6');
		const late = openTab({ sharedHistory: 3 });
		const other = watch(late.feed.event('other'));
		await settle();
		expect(ns(late.messages.values)).toEqual([3, 4, 5]);
		expect(other.values.at(-1)?.data).toEqual({ v: 'x' });
		expect(get(late.feed)).toMatchObject({ status: 'open', lastEventId: '6' });
		expect(late.tab.es.instances).toHaveLength(0);

		const plain = openTab({}, `${URL}?plain`);
		await settle();
		plain.tab.es.last().open();
		for (let n = 1; n <= 3; n += 1) plain.tab.es.last().send('message', { n }, String(n));
		const joiner = openTab({}, `${URL}?plain`);
		await settle();
		expect(ns(joiner.messages.values)).toEqual([3]);
	});

	it('hands two tabs that join at once the history once each, whichever snapshot comes first', async () => {
		const first = openTab({ sharedHistory: 2 });
		await settle();
		const es = first.tab.es.last();
		es.open();
		for (let n = 1; n <= 3; n += 1) es.send('message', { n }, String(n));
		const late = [openTab({ sharedHistory: 2 }), openTab({ sharedHistory: 2 })];
		await settle();
		es.send('message', { n: 4 }, '4');
		await settle();
		for (const tab of late) {
			expect(ns(tab.messages.values)).toEqual([2, 3, 4]);
			expect(tab.tab.es.instances).toHaveLength(0);
		}
	});

	it('reports parse errors in every tab', async () => {
		const tabs = [openTab(), openTab()];
		await settle();
		leaderOf(...tabs)
			.tab.es.last()
			.emit('message', '{not json', '7');
		await settle();
		for (const tab of tabs) {
			expect(get(tab.feed.parseErrors).message).toMatchObject({ raw: '{not json', id: '7' });
		}
	});

	it("listens in the leader for a name only a follower's page reads", async () => {
		const leader = openTab();
		await settle();
		const follower = openTab();
		const other = watch(follower.feed.event('other'));
		await settle();
		leader.tab.es.last().send('other', { v: 'only the follower reads me' }, '1');
		await settle();
		expect(other.values.at(-1)?.data).toEqual({ v: 'only the follower reads me' });
	});

	it('closes every tab on a closeOn event, and the next leader does not connect again', async () => {
		const options = { closeOn: ['complete'] };
		const tabs = [openTab(options), openTab(options), openTab(options)];
		await settle();
		const leader = leaderOf(...tabs);
		leader.tab.es.last().open();
		leader.tab.es.last().send('complete', { done: true }, '9');
		await settle();
		for (const tab of tabs) expect(get(tab.feed).status).toBe('closed');
		leader.close();
		await settle();
		expect(openStreams(...tabs)).toBe(0);
		const rest = tabs.filter((tab) => tab !== leader);
		for (const tab of rest) expect(get(tab.feed).status).toBe('closed');
	});
});

describe('takeover', () => {
	async function liveTabs(count: number) {
		const tabs = Array.from({ length: count }, () => openTab());
		await settle();
		const leader = leaderOf(...tabs);
		leader.tab.es.last().open();
		for (let n = 1; n <= 3; n += 1) leader.tab.es.last().send('message', { n }, String(n));
		await settle();
		return { tabs, leader, rest: tabs.filter((tab) => tab !== leader) };
	}

	for (const how of ['closes', 'crashes'] as const) {
		it(`resumes from the last relayed id when the leader tab ${how}: no gap, no duplicate`, async () => {
			const { tabs, leader, rest } = await liveTabs(3);
			if (how === 'crashes') leader.tab.crash();
			leader.close();
			await settle();
			const next = leaderOf(...rest);
			expect(next.tab.es.last().url).toBe(`${URL}?lastEventId=3`);
			expect(openStreams(...tabs)).toBe(1);
			next.tab.es.last().open();
			next.tab.es.last().send('message', { n: 4 }, '4');
			await settle();
			for (const tab of rest) {
				expect(ns(tab.messages.values)).toEqual([1, 2, 3, 4]);
				expect(get(tab.feed)).toMatchObject({ status: 'open', lastEventId: '4' });
			}
		});
	}

	it('keeps handing over until the last tab, then closes the stream', async () => {
		const { tabs } = await liveTabs(3);
		const ids: string[] = [];
		for (let left = 3; left > 0; left -= 1) {
			const leader = leaderOf(...tabs.filter((tab) => !tab.closed));
			ids.push(leader.tab.es.last().url);
			leader.close();
			leader.closed = true;
			await settle();
		}
		expect(ids).toEqual([URL, `${URL}?lastEventId=3`, `${URL}?lastEventId=3`]);
		expect(openStreams(...tabs)).toBe(0);
		expect(browser.heldLocks()).toEqual([]);
	});

	it('a follower that stops reading leaves the queue and never connects', async () => {
		const { tabs, leader, rest } = await liveTabs(2);
		rest[0]?.close();
		await settle();
		leader.close();
		await settle();
		expect(openStreams(...tabs)).toBe(0);
		expect(browser.heldLocks()).toEqual([]);
	});
});

describe('reconnect and watchdog', () => {
	it("a follower's reconnect() asks the leader, which resumes with the last id", async () => {
		const tabs = [openTab(), openTab()];
		await settle();
		const leader = leaderOf(...tabs);
		const follower = tabs.find((tab) => tab !== leader);
		leader.tab.es.last().open();
		leader.tab.es.last().send('message', { n: 1 }, '1');
		await settle();
		follower?.feed.reconnect();
		await settle();
		expect(leader.tab.es.instances).toHaveLength(2);
		expect(leader.tab.es.instances[0]?.closed).toBe(true);
		expect(leader.tab.es.last().url).toBe(`${URL}?lastEventId=1`);
		expect(follower?.tab.es.instances).toHaveLength(0);
		expect(get(follower?.feed as FeedSource<Events>).status).toBe('connecting');
	});

	it('only the leader runs the staleness watchdog; followers see its reconnecting state', async () => {
		const tabs = [openTab({ heartbeatMs: 1000 }), openTab({ heartbeatMs: 1000 })];
		await settle();
		const leader = leaderOf(...tabs);
		const follower = tabs.find((tab) => tab !== leader);
		leader.tab.es.last().open();
		await settle();
		vi.advanceTimersByTime(2000);
		await settle();
		expect(leader.tab.es.instances).toHaveLength(2);
		expect(follower?.tab.es.instances).toHaveLength(0);
		expect(get(follower?.feed as FeedSource<Events>)).toMatchObject({
			status: 'reconnecting',
			lastError: { message: 'no event for 2s' }
		});
	});
});

describe('the stocks feed across tabs', () => {
	it('relays events named per symbol, and a joining tab gets its history', async () => {
		const tabs = [browser.tab(), browser.tab()];
		const feeds = tabs.map((tab) =>
			stocksFeed({
				baseUrl: 'http://feeds.test',
				symbols: ['AAPL', 'MSFT'],
				history: 4,
				EventSource: tab.es.EventSource,
				locks: tab.locks,
				BroadcastChannel: tab.BroadcastChannel,
				lifecycle: { subscribe: () => () => {} }
			})
		);
		const first = watch((feeds[0] as ReturnType<typeof stocksFeed>).symbol('AAPL'));
		await settle();
		const es = tabs[0]?.es.last();
		expect(es?.url).toBe('http://feeds.test/api/feeds/stocks?symbols=AAPL,MSFT&history=4');
		es?.open();
		for (let n = 1; n <= 6; n += 1) {
			es?.send(n % 2 ? 'AAPL' : 'MSFT', { symbol: 'x', price: n, change: 0, epoch_ms: n }, `${n}`);
		}
		const second = watch((feeds[1] as ReturnType<typeof stocksFeed>).symbol('MSFT'));
		await settle();
		expect(first.values.filter(Boolean)).toHaveLength(3);
		expect(second.values.filter(Boolean).map((value) => value?.data.price)).toEqual([2, 4, 6]);
		expect(tabs[1]?.es.instances).toHaveLength(0);
	});
});
