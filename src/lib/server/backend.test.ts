import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SystemSample } from '$lib/shared/contract';
import { seededRandom } from '$lib/shared/random';
import { readConfig } from './config';
import {
	cancelTraining,
	createTraining,
	health,
	multiplexStream,
	stocksStream,
	systemStream,
	timeStream,
	trainingEvents
} from './endpoints';
import type { SystemSampler } from '$lib/backend/producers/system';
import type { Backend } from '$lib/backend/backend';
import { createServerBackend } from './backend';
import { collect } from '$lib/backend/testing';

/** A sampler that counts its readings; each reading's epoch_ms is the clock's. */
function fakeSampler() {
	let latest: SystemSample | null = null;
	const sampler: SystemSampler & { calls: number } = {
		calls: 0,
		get latest() {
			return latest;
		},
		async sample() {
			sampler.calls++;
			// Like the real one, the reading is ready only after an await.
			await Promise.resolve();
			latest = {
				cpu_percent: 1,
				memory_percent: 2,
				memory_used_mb: 3,
				memory_total_mb: 4,
				cpu_cores: [1],
				load_avg: [0, 0, 0],
				uptime_s: 5,
				net_rx_bytes_per_s: null,
				net_tx_bytes_per_s: null,
				epoch_ms: Date.now()
			};
			return latest;
		}
	};
	return sampler;
}

function newFeeds(env: Record<string, string> = {}) {
	const sampler = fakeSampler();
	const feeds = createServerBackend({ config: readConfig(env), sampler, random: seededRandom(1) });
	return { feeds, sampler };
}

function get(path: string, client = '10.0.0.1') {
	const url = new URL(path, 'http://feeds.test');
	return { request: new Request(url), url, getClientAddress: () => client };
}

async function metric(feeds: Backend, name: string): Promise<number> {
	const { text } = await feeds.metrics.scrape!();
	const line = text.split('\n').find((l) => l.startsWith(`${name} `));
	return Number(line?.split(' ')[1]);
}

beforeEach(() => {
	vi.useFakeTimers({ now: 1_800_000_000_000 });
});
afterEach(() => {
	vi.useRealTimers();
});

describe('Backend', () => {
	it('takes one system sample per interval, whatever the number of clients', async () => {
		const { feeds, sampler } = newFeeds();
		const fast = await Promise.all(
			Array.from({ length: 20 }, () => systemStream(get('/api/feeds/system'), feeds))
		);
		const slow = await Promise.all(
			Array.from({ length: 5 }, () =>
				systemStream(get('/api/feeds/system?interval_ms=2000'), feeds)
			)
		);
		const readers = [...fast, ...slow].map((r) => collect(r.body!));
		await vi.advanceTimersByTimeAsync(4000);
		// One reading on start and one per tick: 1 + 4 at 1 s, 1 + 2 at 2 s.
		expect(sampler.calls).toBe(8);
		expect(await metric(feeds, 'live_feeds_producers_running')).toBe(2);
		const seen = await Promise.all(readers.map((r) => r.events()));
		const fastEvents = seen.slice(0, 20).map((events) => events.map((e) => e.data));
		for (const events of fastEvents) expect(events).toEqual(fastEvents[0]);
		expect(fastEvents[0]).toHaveLength(5);
		const epochs = fastEvents[0]!.map((d) => (JSON.parse(d) as SystemSample).epoch_ms);
		expect(new Set(epochs).size).toBe(5);
		for (const reader of readers) await reader.cancel();
		expect(await metric(feeds, 'live_feeds_producers_running')).toBe(0);
		expect(feeds.clock.active).toBe(0);
	});

	it('stops every producer and timer when the last stream of each feed goes', async () => {
		const { feeds } = newFeeds();
		const responses = await Promise.all([
			timeStream(get('/api/feeds/time'), feeds),
			stocksStream(get('/api/feeds/stocks?symbols=AAPL'), feeds),
			systemStream(get('/api/feeds/system?interval_ms=700'), feeds),
			multiplexStream(get('/api/feeds?topics=time,system,stocks&interval_ms=900'), feeds),
			multiplexStream(get('/api/feeds?topics=time,system,stocks&interval_ms=900'), feeds)
		]);
		expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
		await vi.advanceTimersByTimeAsync(3000);
		expect(await metric(feeds, 'live_feeds_producers_running')).toBe(4);
		expect(feeds.streams.size).toBe(5);
		for (const response of responses) await response.body!.cancel();
		expect(feeds.streams.size).toBe(0);
		expect(await metric(feeds, 'live_feeds_producers_running')).toBe(0);
		expect(feeds.clock.active).toBe(0);
	});

	it('answers HEAD on a stream with its headers, opening nothing', async () => {
		const { feeds } = newFeeds();
		const url = new URL('http://feeds.test/api/feeds/time');
		const head = {
			request: new Request(url, { method: 'HEAD' }),
			url,
			getClientAddress: () => 'a'
		};
		const response = await timeStream(head, feeds);
		expect(response.status).toBe(200);
		expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
		expect(response.body).toBeNull();
		expect(feeds.streams.size).toBe(0);
		expect(feeds.time.running).toBe(false);
	});

	it('does not touch a feed for a refused request', async () => {
		const { feeds } = newFeeds({ MAX_CONNECTIONS_PER_CLIENT: '1' });
		const open = await timeStream(get('/api/feeds/time'), feeds);
		const channel = vi.spyOn(feeds, 'channel');
		const system = vi.spyOn(feeds, 'system');
		const refused = await multiplexStream(get('/api/feeds?topics=system&interval_ms=800'), feeds);
		expect(refused.status).toBe(429);
		expect(refused.headers.get('retry-after')).toBe('3');
		expect(await refused.json()).toEqual({
			error: { code: 'too_many_connections', message: 'at most 1 open streams per client' }
		});
		expect((await systemStream(get('/api/feeds/system'), feeds)).status).toBe(429);
		expect(channel).not.toHaveBeenCalled();
		expect(system).not.toHaveBeenCalled();
		await open.body!.cancel();
		expect(feeds.clock.active).toBe(0);
	});

	it('on shutdown closes every stream with a retry, stops the jobs and answers 503', async () => {
		const { feeds } = newFeeds();
		const stream = await timeStream(get('/api/feeds/time'), feeds);
		const reader = collect(stream.body!);
		const created = await createTraining(
			{
				...get('/api/training'),
				request: new Request('http://feeds.test/api/training', { method: 'POST' })
			},
			feeds
		);
		expect(created.status).toBe(201);
		feeds.shutdown();
		expect(await reader.take()).toMatch(/\n\nretry: \d+\n\n$/);
		expect(reader.ended).toBe(true);
		expect(feeds.clock.active).toBe(0);
		expect((await health(get('/api/health'), feeds)).status).toBe(503);
		const refused = await timeStream(get('/api/feeds/time'), feeds);
		expect(refused.status).toBe(503);
		expect((await refused.json()).error.code).toBe('shutting_down');
	});

	it('counts the bytes and events a training job sends in /metrics (issue 14, defect 8)', async () => {
		const { feeds } = newFeeds();
		const body = JSON.stringify({
			total_epochs: 1,
			steps_per_epoch: 3,
			step_ms: 10,
			epoch_pause_ms: 0
		});
		const created = await createTraining(
			{
				...get('/api/training'),
				request: new Request('http://feeds.test/api/training', { method: 'POST', body })
			},
			feeds
		);
		const { id, events } = (await created.json()) as { id: string; events: string };
		const url = new URL(events, 'http://feeds.test');
		const stream = await trainingEvents(
			{ request: new Request(url), url, getClientAddress: () => 'x', params: { id } },
			feeds
		);
		const reader = collect(stream.body!);
		await vi.advanceTimersByTimeAsync(20);
		const live = await reader.take();
		await vi.advanceTimersByTimeAsync(100);
		const sent = live + (await reader.take());
		const bytes = new TextEncoder().encode(sent.slice(sent.indexOf('\n\n') + 2)).byteLength;
		const { text } = await feeds.metrics.scrape!();
		const value = (name: string) =>
			Number(
				text
					.split('\n')
					.find((l) => l.startsWith(`${name}{feed="training"} `))
					?.split(' ')[1]
			);
		// Four events (three progress, one complete), every byte after the preamble.
		expect(value('live_feeds_events_sent_total')).toBe(4);
		expect(value('live_feeds_bytes_sent_total')).toBe(bytes);
	});

	it('runs a training job through the endpoints: resume, 204 at the end, 409 after', async () => {
		const { feeds } = newFeeds();
		const body = JSON.stringify({
			total_epochs: 1,
			steps_per_epoch: 4,
			step_ms: 10,
			epoch_pause_ms: 0
		});
		const created = await createTraining(
			{
				...get('/api/training'),
				request: new Request('http://feeds.test/api/training', { method: 'POST', body })
			},
			feeds
		);
		const { id, events } = (await created.json()) as { id: string; events: string };
		expect(created.headers.get('location')).toBe(events);
		const job = (path: string, headers: Record<string, string> = {}) => {
			const url = new URL(path, 'http://feeds.test');
			return {
				request: new Request(url, { headers }),
				url,
				getClientAddress: () => 'x',
				params: { id }
			};
		};
		await vi.advanceTimersByTimeAsync(20);
		const resumed = await trainingEvents(job(events, { 'last-event-id': '1' }), feeds);
		const reader = collect(resumed.body!);
		await vi.advanceTimersByTimeAsync(100);
		expect((await reader.events()).map((e) => [e.id, e.event])).toEqual([
			['2', 'progress'],
			['3', 'progress'],
			['4', 'progress'],
			['5', 'complete']
		]);
		expect(reader.ended).toBe(true);
		expect((await trainingEvents(job(`${events}?lastEventId=5`), feeds)).status).toBe(204);
		expect((await trainingEvents(job(events, { 'last-event-id': '5' }), feeds)).status).toBe(204);
		const cancel = await cancelTraining(job(`/api/training/${id}`), feeds);
		expect(cancel.status).toBe(409);
		expect((await cancel.json()).error.code).toBe('already_finished');
		feeds.shutdown();
	});
});
