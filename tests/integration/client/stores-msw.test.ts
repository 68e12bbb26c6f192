/**
 * The client stores against MSW `sse()` handlers, with the `eventsource` package as the
 * EventSource. The store's own backoff runs on a manual clock; the EventSource's own reconnect
 * uses the short `retry:` the handlers send. Every wait is for an event, never a sleep.
 */
import { EventSource } from 'eventsource';
import { http, HttpResponse, sse } from 'msw';
import { setupServer } from 'msw/node';
import { get } from 'svelte/store';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { StockQuote, TimeTick, TrainingEvents } from '$lib/shared/contract';
import { createFeedSource, stocksFeed, timeFeed, trainingJob } from '$lib/client';
import { createManualClock, recordTransitions, until, type ManualClock } from '$lib/client/testing';
import type { EventSourceConstructor } from '$lib/client/types';

const BASE = 'http://feeds.test';
const server = setupServer();
const cleanups: (() => void)[] = [];
let clock: ManualClock;

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => {
	cleanups.splice(0).forEach((stop) => stop());
	server.resetHandlers();
});
afterAll(() => server.close());

function keep(stop: () => void): void {
	cleanups.push(stop);
}

/** What the store needs besides the URL: the real EventSource client and a manual clock. */
function inject() {
	clock = createManualClock();
	return { EventSource, timers: clock.timers, now: clock.now, random: () => 0.5 };
}

const tick = (n: number): TimeTick => ({
	time: `00:00:0${n}`,
	iso: `2026-01-01T00:00:0${n}.000Z`,
	epoch_ms: n * 1000
});

const quote = (symbol: string, price: number): StockQuote => ({
	symbol,
	price,
	change: 0,
	epoch_ms: 0
});

/** A time stream whose first connection sends `firstId` and ends; later ones send `laterId`. */
function endsOnce(isFirst: () => boolean, firstId: string, laterId: string) {
	return sse<{ message: TimeTick }>(`${BASE}/api/feeds/time`, ({ client }) => {
		client.send({ retry: 10 }); // the EventSource's own reconnect then comes at once
		if (isFirst()) {
			client.send({ data: tick(1), id: firstId });
			client.close();
		} else {
			client.send({ data: tick(2), id: laterId });
		}
	});
}

/** An HTTP error answer in the contract's shape, for the first `times` requests only. */
function failFirst(path: string, times: number, status: number, code: string) {
	let seen = 0;
	return http.get(`${BASE}${path}`, () => {
		seen += 1;
		if (seen > times) return undefined; // fall through to the sse() handler
		return HttpResponse.json({ error: { code, message: 'try later' } }, { status });
	});
}

describe('stores over MSW sse()', () => {
	it('routes named events to their own stores', async () => {
		server.use(
			sse<{ message: unknown; AAPL: StockQuote; MSFT: StockQuote }>(
				`${BASE}/api/feeds/stocks`,
				({ client }) => {
					client.send({ event: 'MSFT', data: quote('MSFT', 300), id: '1' });
					client.send({ event: 'AAPL', data: quote('AAPL', 150), id: '2' });
				}
			)
		);
		const feed = stocksFeed({ baseUrl: BASE, symbols: ['AAPL', 'MSFT'], ...inject() });
		const aapl = feed.symbol('AAPL');
		keep(aapl.subscribe(() => {}));
		const value = await until(aapl, (v) => v !== undefined);
		expect(value).toEqual({ data: quote('AAPL', 150), id: '2', receivedAt: clock.now() });
		expect(get(feed.symbol('MSFT'))?.data.price).toBe(300);
	});

	it('notifies subscribers again for an identical payload', async () => {
		server.use(
			sse<{ message: TimeTick }>(`${BASE}/api/feeds/time`, ({ client }) => {
				client.send({ data: tick(1), id: '1' });
				client.send({ data: tick(1), id: '2' });
			})
		);
		const feed = timeFeed({ baseUrl: BASE, ...inject() });
		const seen: (string | null)[] = [];
		keep(feed.latest.subscribe((v) => v && seen.push(v.id)));
		await until(feed.latest, (v) => v?.id === '2');
		expect(seen).toEqual(['1', '2']);
	});

	it('reports malformed JSON and keeps the stream alive', async () => {
		server.use(
			sse<{ message: unknown }>(`${BASE}/api/feeds/time`, ({ client }) => {
				client.send({ data: '{"time": oops', id: '1' });
				client.send({ data: tick(2), id: '2' });
			})
		);
		const feed = timeFeed({ baseUrl: BASE, ...inject() });
		const errors: unknown[] = [];
		keep(feed.parseErrors.subscribe((e) => e.message && errors.push(e.message)));
		keep(feed.latest.subscribe(() => {}));
		await until(feed.latest, (v) => v?.id === '2');
		expect(errors).toEqual([
			expect.objectContaining({ event: 'message', raw: '{"time": oops', id: '1' })
		]);
		expect(get(feed.parseErrors)).toEqual({});
		expect(get(feed).status).toBe('open');
	});

	it('reconnects after the server closes, then opens again carrying the last event id', async () => {
		const resumedWith: (string | null)[] = [];
		server.use(
			http.get(`${BASE}/api/feeds/time`, ({ request }) => {
				resumedWith.push(request.headers.get('last-event-id'));
			}),
			endsOnce(() => resumedWith.length === 1, '41', '42')
		);
		const feed = timeFeed({ baseUrl: BASE, ...inject() });
		const rec = recordTransitions(feed);
		keep(rec.stop);
		await until(feed.latest, (v) => v?.id === '42');
		expect(resumedWith).toEqual([null, '41']);
		expect(rec.labels).toEqual(['connecting', 'open', 'reconnecting#1', 'open']);
	});

	it('retries 503 with backoff, then resumes through the lastEventId parameter', async () => {
		const requests: string[] = [];
		server.use(
			http.get(`${BASE}/api/feeds/time`, ({ request }) => {
				requests.push(new URL(request.url).search);
				// The first answer is a stream that ends; the next two are 503s.
				if (requests.length < 2 || requests.length > 3) return undefined;
				return HttpResponse.json(
					{ error: { code: 'shutting_down', message: 'try later' } },
					{ status: 503 }
				);
			}),
			endsOnce(() => requests.length === 1, '5', '7')
		);
		const feed = timeFeed({ baseUrl: BASE, ...inject() });
		const rec = recordTransitions(feed);
		keep(rec.stop);
		// The EventSource's own reconnect gets the first 503 and gives up; the store takes over.
		await until(feed, (s) => s.attempt === 2 && s.nextRetryAt !== null);
		expect(clock.pending()).toEqual([3000]); // 2000 + 0.5 × 2000
		expect(clock.runNext()).toBe(3000);
		await until(feed, (s) => s.attempt === 3 && s.nextRetryAt !== null);
		expect(clock.runNext()).toBe(4000); // 2000 + 0.5 × 4000
		await until(feed.latest, (v) => v?.id === '7');
		expect(rec.labels).toEqual([
			'connecting',
			'open',
			'reconnecting#1',
			'reconnecting#2',
			'reconnecting#3',
			'open'
		]);
		expect(rec.states.find((s) => s.attempt === 2)?.lastError).toMatchObject({
			status: 503,
			fatal: false
		});
		// The EventSource's own retry sends the header; the store's new EventSources the parameter.
		expect(requests).toEqual(['', '', '?lastEventId=5', '?lastEventId=5']);
		expect(get(feed)).toMatchObject({ attempt: 0, lastError: null, lastEventId: '7' });
	});

	it('closes as fatal on 404, with the status', async () => {
		server.use(failFirst('/api/training/nope/events', 99, 404, 'not_found'));
		const job = trainingJob('nope', { baseUrl: BASE, ...inject() });
		const rec = recordTransitions(job);
		keep(rec.stop);
		const state = await until(job, (s) => s.status === 'closed');
		expect(state.lastError).toEqual({ message: 'HTTP 404', status: 404, fatal: true });
		expect(rec.labels).toEqual(['connecting', 'closed']);
		expect(clock.pending()).toEqual([]);
	});

	it('learns a hidden status with a fetch probe, as in a browser', async () => {
		// Browsers give no status on EventSource errors: drop the package's `code`.
		class BrowserLikeEventSource extends EventSource {
			override dispatchEvent(event: Event): boolean {
				if (event.type === 'error' && 'code' in event)
					return super.dispatchEvent(new Event('error'));
				return super.dispatchEvent(event);
			}
		}
		let requests = 0;
		server.use(
			http.get(`${BASE}/api/training/gone/events`, () => {
				requests += 1;
				return HttpResponse.json({ error: { code: 'not_found', message: 'x' } }, { status: 404 });
			})
		);
		const job = trainingJob('gone', {
			baseUrl: BASE,
			...inject(),
			EventSource: BrowserLikeEventSource as EventSourceConstructor
		});
		keep(job.subscribe(() => {}));
		const state = await until(job, (s) => s.status === 'closed');
		expect(state.lastError).toMatchObject({ status: 404, fatal: true });
		expect(requests).toBe(2);
	});

	it('closes on a closeOn event, so a finished job is not reconnected', async () => {
		let aborted: Promise<void> | null = null;
		let connections = 0;
		server.use(
			sse<Omit<TrainingEvents, 'ping'> & { message: unknown }>(
				`${BASE}/api/training/j1/events`,
				({ client, request }) => {
					connections += 1;
					aborted = new Promise((resolve) =>
						request.signal.addEventListener('abort', () => resolve())
					);
					client.send({ retry: 10 });
					client.send({
						event: 'progress',
						id: '1',
						data: {
							epoch: 1,
							total_epochs: 1,
							step: 1,
							steps_per_epoch: 1,
							progress_percent: 100,
							overall_percent: 100,
							loss: 0.1
						}
					});
					client.send({
						event: 'complete',
						id: '2',
						data: { message: 'Training complete!', final_loss: 0.1, duration_ms: 5 }
					});
					// The stream stays open: only the store's closeOn ends it.
				}
			)
		);
		const job = trainingJob('j1', { baseUrl: BASE, ...inject() });
		const rec = recordTransitions(job);
		keep(rec.stop);
		const complete = job.event('complete');
		keep(complete.subscribe(() => {}));
		await until(job, (s) => s.status === 'closed');
		await aborted;
		expect(get(complete)?.data.final_loss).toBe(0.1);
		expect(get(job.event('progress'))?.data.epoch).toBe(1); // watched names keep their latest value
		expect(rec.labels).toEqual(['connecting', 'open', 'closed']);
		expect(get(job).lastError).toBeNull();
		expect(connections).toBe(1);
	});

	it('shares one connection between two subscribers, counted in the handler', async () => {
		let connections = 0;
		let closed: Promise<void> = new Promise(() => {});
		let isClosed = false;
		server.use(
			sse<{ message: unknown; AAPL: StockQuote }>(
				`${BASE}/api/feeds/stocks`,
				({ client, request }) => {
					connections += 1;
					closed = new Promise((resolve) =>
						request.signal.addEventListener('abort', () => {
							isClosed = true;
							resolve();
						})
					);
					client.send({ event: 'AAPL', data: quote('AAPL', 150), id: '1' });
				}
			)
		);
		const options = { baseUrl: BASE, symbols: ['AAPL'], ...inject() };
		const widgetA = stocksFeed(options);
		const widgetB = stocksFeed(options);
		const stopA = widgetA.symbol('AAPL').subscribe(() => {});
		const stopB = widgetB.symbol('AAPL').subscribe(() => {});
		await until(widgetA.symbol('AAPL'), (v) => v !== undefined);
		await until(widgetB.symbol('AAPL'), (v) => v !== undefined);
		expect(connections).toBe(1);
		stopA();
		expect(isClosed).toBe(false);
		stopB();
		await closed;
		expect(connections).toBe(1);
	});

	it('works for any SSE endpoint through createFeedSource', async () => {
		server.use(
			sse<{ message: unknown; greeting: { text: string } }>(`${BASE}/theirs`, ({ client }) => {
				client.send({ event: 'greeting', data: { text: 'hi' } });
			})
		);
		const feed = createFeedSource<{ greeting: { text: string } }>(`${BASE}/theirs`, inject());
		const greeting = feed.event('greeting');
		keep(greeting.subscribe(() => {}));
		expect((await until(greeting, (v) => v !== undefined))?.data.text).toBe('hi');
	});
});
