import { get } from 'svelte/store';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createFeedSource } from './feed-source';
import {
	createFakeEventSource,
	createFakeLifecycle,
	recordTransitions,
	type FakeEventSourceKit,
	type FakeLifecycle
} from './testing';
import type { FeedSourceOptions } from './types';

type Events = {
	message: { n: number };
	a: { v: string };
	b: { v: string };
	ping: { epoch_ms: number };
};

const URL = 'http://feeds.test/api/feeds/x';
let kit: FakeEventSourceKit;
let signals: FakeLifecycle;
const cleanups: (() => void)[] = [];

function source(options: FeedSourceOptions = {}, url = URL) {
	return createFeedSource<Events>(url, {
		EventSource: kit.EventSource,
		lifecycle: signals.lifecycle,
		random: () => 0.5,
		...options
	});
}

function keep(stop: () => void): () => void {
	cleanups.push(stop);
	return stop;
}

beforeEach(() => {
	vi.useFakeTimers({ now: 1_000_000 });
	kit = createFakeEventSource();
	signals = createFakeLifecycle();
});

afterEach(() => {
	cleanups.splice(0).forEach((stop) => stop());
	vi.useRealTimers();
});

describe('lazy and shared', () => {
	it('opens with the first subscriber and closes after the last', () => {
		const feed = source();
		const a = feed.event('a');
		expect(kit.instances).toHaveLength(0);
		const stopState = feed.subscribe(() => {});
		const stopA = a.subscribe(() => {});
		expect(kit.instances).toHaveLength(1);
		stopState();
		expect(kit.last().closed).toBe(false);
		stopA();
		expect(kit.last().closed).toBe(true);
		expect(signals.listeners()).toBe(0);
	});

	it('shares one EventSource between two sources on the same URL, counted by reference', () => {
		const one = source();
		const two = source();
		const stopOne = one.event('a').subscribe(() => {});
		const stopTwo = two.event('b').subscribe(() => {});
		expect(kit.instances).toHaveLength(1);
		stopOne();
		expect(kit.openCount()).toBe(1);
		kit.last().open();
		kit.last().send('b', { v: 'still here' });
		expect(get(two.event('b'))?.data).toEqual({ v: 'still here' });
		stopTwo();
		expect(kit.openCount()).toBe(0);
	});

	it('does not share between different URLs or different closeOn policies', () => {
		keep(source().subscribe(() => {}));
		keep(source({}, `${URL}?other=1`).subscribe(() => {}));
		keep(source({ closeOn: ['a'] }).subscribe(() => {}));
		expect(kit.instances.map((es) => es.url)).toEqual([URL, `${URL}?other=1`, URL]);
	});

	it('passes withCredentials to the EventSource', () => {
		keep(source({ withCredentials: true }).subscribe(() => {}));
		expect(kit.last().withCredentials).toBe(true);
	});

	it('keeps other events flowing when one event store is unsubscribed', () => {
		const feed = source();
		const seen: string[] = [];
		const stopA = feed.event('a').subscribe((v) => v && seen.push(`a:${v.data.v}`));
		keep(feed.event('b').subscribe((v) => v && seen.push(`b:${v.data.v}`)));
		kit.last().open();
		stopA();
		kit.last().send('a', { v: '1' });
		kit.last().send('b', { v: '2' });
		expect(seen).toEqual(['b:2']);
		expect(kit.last().closed).toBe(false);
	});

	it('does nothing during SSR: no window and no injected EventSource', () => {
		const spy = vi.fn();
		vi.stubGlobal('EventSource', spy);
		try {
			const feed = createFeedSource<Events>('/api/feeds/time');
			const stop = feed.subscribe(() => {});
			expect(get(feed).status).toBe('connecting');
			expect(get(feed.event('message'))).toBeUndefined();
			stop();
			expect(spy).not.toHaveBeenCalled();
		} finally {
			vi.unstubAllGlobals();
		}
	});
});

describe('named-event routing', () => {
	it('routes each named event to its own store, and unnamed events to message', () => {
		const feed = source();
		const a: unknown[] = [];
		const msg: unknown[] = [];
		keep(feed.event('a').subscribe((v) => v && a.push(v.data)));
		keep(feed.event('message').subscribe((v) => v && msg.push(v.data)));
		kit.last().open();
		kit.last().send('a', { v: 'x' }, '1');
		kit.last().send('message', { n: 2 }, '2');
		kit.last().send('b', { v: 'ignored' }, '3');
		expect(a).toEqual([{ v: 'x' }]);
		expect(msg).toEqual([{ n: 2 }]);
	});

	it('wraps values with id and receivedAt, and notifies on identical payloads', () => {
		const feed = source();
		const values: unknown[] = [];
		keep(feed.event('message').subscribe((v) => v && values.push(v)));
		kit.last().open();
		kit.last().send('message', { n: 1 }, '5');
		vi.advanceTimersByTime(1000);
		kit.last().send('message', { n: 1 }, '6');
		expect(values).toEqual([
			{ data: { n: 1 }, id: '5', receivedAt: 1_000_000 },
			{ data: { n: 1 }, id: '6', receivedAt: 1_001_000 }
		]);
	});

	it('reports malformed JSON per event without killing the stream, and clears it on the next good payload', () => {
		const feed = source();
		const values: unknown[] = [];
		keep(feed.event('a').subscribe((v) => v && values.push(v.data)));
		const errors = feed.parseErrors;
		keep(errors.subscribe(() => {}));
		kit.last().open();
		kit.last().send('a', { v: 'ok' }, '1');
		kit.last().emit('a', '{not json', '2');
		expect(get(errors).a).toMatchObject({ event: 'a', raw: '{not json', id: '2' });
		expect(get(feed)).toMatchObject({ status: 'open', lastEventId: '2' });
		expect(values).toEqual([{ v: 'ok' }]);
		kit.last().send('a', { v: 'again' }, '3');
		expect(values).toEqual([{ v: 'ok' }, { v: 'again' }]);
		expect(get(errors)).toEqual({});
	});

	it('tracks lastEventId and lastEventAt; a heartbeat without id keeps the id', () => {
		const feed = source({ listen: ['a'] });
		keep(feed.subscribe(() => {}));
		kit.last().open();
		kit.last().send('a', { v: '1' }, '41');
		vi.advanceTimersByTime(500);
		kit.last().send('ping', { epoch_ms: 1 });
		expect(get(feed)).toMatchObject({ lastEventId: '41', lastEventAt: 1_000_500 });
	});
});

describe('reconnect policy', () => {
	it('lets the EventSource retry first, then takes over with backoff and the lastEventId parameter', () => {
		const feed = source({ listen: ['a'] });
		const rec = recordTransitions(feed);
		cleanups.push(rec.stop);
		const first = kit.last();
		first.open();
		first.send('a', { v: '1' }, '7');
		first.drop();
		expect(first.closed).toBe(false); // the EventSource reconnects on its own
		expect(get(feed)).toMatchObject({ status: 'reconnecting', attempt: 1, nextRetryAt: null });
		first.drop('fetch failed');
		expect(first.closed).toBe(true);
		// attempt 2, random 0.5: 2000 + 0.5 × 2000
		expect(get(feed)).toMatchObject({ attempt: 2, nextRetryAt: 1_003_000 });
		vi.advanceTimersByTime(2999);
		expect(kit.instances).toHaveLength(1);
		vi.advanceTimersByTime(1);
		expect(kit.last().url).toBe(`${URL}?lastEventId=7`);
		kit.last().open();
		expect(rec.labels).toEqual(['connecting', 'open', 'reconnecting#1', 'reconnecting#2', 'open']);
		expect(get(feed)).toMatchObject({ attempt: 0, nextRetryAt: null, lastError: null });
	});

	it('retries 503 with exponential backoff, capped, and resets after a successful open', () => {
		const feed = source({ maxRetryMs: 5000 });
		const rec = recordTransitions(feed);
		cleanups.push(rec.stop);
		const delays: number[] = [];
		for (let i = 0; i < 4; i++) {
			kit.last().fail(503);
			const { nextRetryAt } = get(feed);
			delays.push((nextRetryAt ?? 0) - Date.now());
			vi.advanceTimersByTime(delays.at(-1) ?? 0);
		}
		expect(delays).toEqual([2500, 3000, 4000, 5000]);
		expect(get(feed).lastError).toEqual({ message: 'HTTP 503', status: 503, fatal: false });
		kit.last().open();
		kit.last().fail(503);
		expect(get(feed).nextRetryAt).toBe(Date.now() + 2500);
		expect(rec.labels).toEqual([
			'connecting',
			'reconnecting#1',
			'reconnecting#2',
			'reconnecting#3',
			'reconnecting#4',
			'open',
			'reconnecting#1'
		]);
	});

	it('closes as fatal on 404, with the status, and never retries', () => {
		const feed = source();
		const rec = recordTransitions(feed);
		cleanups.push(rec.stop);
		kit.last().fail(404);
		vi.advanceTimersByTime(120_000);
		expect(kit.instances).toHaveLength(1);
		expect(rec.labels).toEqual(['connecting', 'closed']);
		expect(get(feed).lastError).toEqual({ message: 'HTTP 404', status: 404, fatal: true });
	});

	it('stops cleanly on 204, the contract signal for a finished stream', () => {
		const feed = source();
		keep(feed.subscribe(() => {}));
		kit.last().fail(204);
		vi.advanceTimersByTime(120_000);
		expect(get(feed)).toMatchObject({ status: 'closed', lastError: null });
		expect(kit.instances).toHaveLength(1);
	});

	it('probes the status with fetch when the EventSource hides it (browsers)', async () => {
		const fetchStub = vi.fn(async () => new Response('{}', { status: 410 }));
		const feed = source({ fetch: fetchStub, listen: ['a'] });
		keep(feed.subscribe(() => {}));
		kit.last().open();
		kit.last().send('a', { v: '1' }, '3');
		kit.last().drop();
		kit.last().fail();
		await vi.advanceTimersByTimeAsync(0);
		expect(fetchStub).toHaveBeenCalledWith(`${URL}?lastEventId=3`, expect.any(Object));
		expect(get(feed)).toMatchObject({ status: 'closed', lastError: { status: 410, fatal: true } });
	});

	it('uses a probed Retry-After as the minimum delay, and retries when the probe gets no answer', async () => {
		let calls = 0;
		const fetchStub = vi.fn(async () => {
			calls += 1;
			if (calls === 1) return new Response(null, { status: 429, headers: { 'retry-after': '9' } });
			throw new TypeError('fetch failed');
		});
		const feed = source({ fetch: fetchStub });
		keep(feed.subscribe(() => {}));
		kit.last().fail();
		await vi.advanceTimersByTimeAsync(0);
		// Retry-After raises the floor; the jitter window (0.5 × 1000) still applies above it.
		expect(get(feed)).toMatchObject({ attempt: 1, nextRetryAt: Date.now() + 9500 });
		expect(get(feed).lastError).toMatchObject({ status: 429, fatal: false });
		await vi.advanceTimersByTimeAsync(9500);
		kit.last().fail();
		await vi.advanceTimersByTimeAsync(0);
		expect(get(feed)).toMatchObject({
			status: 'reconnecting',
			attempt: 2,
			nextRetryAt: Date.now() + 3000
		});
		expect(get(feed).lastError?.status).toBeUndefined();
	});
});

describe('terminal events', () => {
	it('closes cleanly on a closeOn event, delivering it first, and never reconnects', () => {
		const feed = source({ closeOn: ['b'] });
		const rec = recordTransitions(feed);
		cleanups.push(rec.stop);
		const last: unknown[] = [];
		keep(feed.event('b').subscribe((v) => v && last.push(v.data)));
		kit.last().open();
		kit.last().send('a', { v: 'progress' }, '1');
		kit.last().send('b', { v: 'done' }, '2');
		expect(last).toEqual([{ v: 'done' }]);
		expect(kit.last().closed).toBe(true);
		vi.advanceTimersByTime(120_000);
		expect(kit.instances).toHaveLength(1);
		expect(rec.labels).toEqual(['connecting', 'open', 'closed']);
		expect(get(feed).lastError).toBeNull();
	});
});

describe('staleness watchdog and browser signals', () => {
	it('reconnects when nothing, heartbeat included, arrives for twice heartbeatMs', () => {
		const feed = source({ heartbeatMs: 1000, listen: ['a'] });
		const rec = recordTransitions(feed);
		cleanups.push(rec.stop);
		kit.last().open();
		kit.last().send('a', { v: '1' }, '9');
		vi.advanceTimersByTime(1500);
		kit.last().send('ping', { epoch_ms: 0 });
		vi.advanceTimersByTime(1999);
		expect(kit.instances).toHaveLength(1);
		vi.advanceTimersByTime(1);
		expect(kit.instances[0]?.closed).toBe(true);
		expect(kit.last().url).toBe(`${URL}?lastEventId=9`);
		kit.last().open();
		expect(rec.labels).toEqual(['connecting', 'open', 'reconnecting#1', 'open']);
	});

	it('sees listen-only events, so a busy stream with unwatched names is not stale', () => {
		const feed = source({ heartbeatMs: 1000, listen: ['b'] });
		keep(feed.subscribe(() => {}));
		kit.last().open();
		for (let i = 0; i < 5; i++) {
			vi.advanceTimersByTime(1500);
			kit.last().send('b', { v: String(i) }, String(i));
		}
		expect(kit.instances).toHaveLength(1);
	});

	it('reconnects at once on online while waiting to retry', () => {
		const feed = source();
		keep(feed.subscribe(() => {}));
		kit.last().fail(503);
		expect(get(feed).nextRetryAt).not.toBeNull();
		signals.emit('online');
		expect(kit.instances).toHaveLength(2);
		expect(get(feed)).toMatchObject({ status: 'reconnecting', attempt: 1, nextRetryAt: null });
		vi.advanceTimersByTime(10_000);
		expect(kit.instances).toHaveLength(2); // the backoff timer was cancelled
	});

	it('ignores online while the stream is open and fresh', () => {
		const feed = source();
		keep(feed.subscribe(() => {}));
		kit.last().open();
		signals.emit('online');
		expect(kit.instances).toHaveLength(1);
	});

	it('reconnects when a hidden tab comes back with a stale stream, not with a fresh one', () => {
		const feed = source({
			heartbeatMs: 1000,
			timers: { setTimeout: () => 0, clearTimeout: () => {} }
		});
		keep(feed.subscribe(() => {}));
		kit.last().open();
		vi.advanceTimersByTime(1000);
		signals.emit('visible');
		expect(kit.instances).toHaveLength(1);
		// Background tabs throttle timers: the watchdog may not have run, the check on return does.
		vi.advanceTimersByTime(1000);
		signals.emit('visible');
		expect(kit.instances).toHaveLength(2);
		expect(get(feed)).toMatchObject({ status: 'reconnecting', attempt: 1 });
	});
});

describe('close and reconnect', () => {
	it('close() stops one source and keeps its values; others on the URL stay connected', () => {
		const one = source();
		const two = source();
		keep(one.event('a').subscribe(() => {}));
		keep(two.subscribe(() => {}));
		kit.last().open();
		kit.last().send('a', { v: 'kept' }, '4');
		one.close();
		expect(get(one).status).toBe('closed');
		expect(get(one.event('a'))?.data).toEqual({ v: 'kept' });
		expect(get(two).status).toBe('open');
		expect(kit.openCount()).toBe(1);
	});

	it('reconnect() after a fatal error starts again from attempt 0', () => {
		const feed = source();
		const rec = recordTransitions(feed);
		cleanups.push(rec.stop);
		kit.last().fail(403);
		feed.reconnect();
		expect(kit.instances).toHaveLength(2);
		kit.last().open();
		expect(rec.labels).toEqual(['connecting', 'closed', 'connecting', 'open']);
	});

	it('reconnect() after close() opens again', () => {
		const feed = source();
		keep(feed.subscribe(() => {}));
		feed.close();
		expect(kit.openCount()).toBe(0);
		feed.reconnect();
		expect(kit.openCount()).toBe(1);
		kit.last().open();
		expect(get(feed).status).toBe('open');
	});
});
