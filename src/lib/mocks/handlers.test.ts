import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { DOWN_FOR_MS } from './scenarios';
import { createMockServer, type MockServer } from './node';
import { record, withIds, type SseRecording } from '../../../tests/contract/sse-recorder';

const BASE = 'http://localhost';
const SSE = { accept: 'text/event-stream' };
let mock: MockServer | null = null;
const opened: SseRecording[] = [];

async function stream(path: string, headers: Record<string, string> = {}) {
	const r = await record(`${BASE}${path}`, { headers: { ...SSE, ...headers } });
	opened.push(r);
	return r;
}

beforeEach(() => {
	vi.useFakeTimers({
		toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date']
	});
	vi.setSystemTime(new Date('2026-11-22T14:03:22.250Z'));
});
afterEach(async () => {
	await Promise.all(opened.splice(0).map((r) => r.close()));
	mock?.close();
	mock = null;
	vi.useRealTimers();
});

describe('mock handlers', () => {
	test('a seed makes the stock walk repeatable', async () => {
		const walk = async () => {
			mock = createMockServer({ seed: 99 });
			const r = await stream('/api/feeds/stocks');
			await vi.advanceTimersByTimeAsync(10_000);
			const events = r.events.map((e) => [e.event, e.id, JSON.parse(e.data)]);
			await r.close();
			mock.close();
			return events;
		};
		const first = await walk();
		vi.setSystemTime(new Date('2026-11-22T14:03:22.250Z'));
		expect(first.length).toBeGreaterThan(8);
		expect(await walk()).toEqual(first);
	});

	test('burst sends at least 200 stock events a second', async () => {
		mock = createMockServer({ seed: 1, scenario: 'burst' });
		const r = await stream('/api/feeds/stocks');
		await vi.advanceTimersByTimeAsync(1000);
		expect(withIds(r.events).length).toBeGreaterThanOrEqual(200);
	});

	test('slow leaves long gaps between events', async () => {
		mock = createMockServer({ seed: 1, scenario: 'slow' });
		const r = await stream('/api/feeds/time');
		await vi.advanceTimersByTimeAsync(20_000);
		const times = r.events.map((e) => (JSON.parse(e.data) as { epoch_ms: number }).epoch_ms);
		// The snapshot at once, then one every five seconds or more: 0 events would be no stream.
		expect(times.length).toBeGreaterThanOrEqual(3);
		expect(times.length).toBeLessThanOrEqual(5);
		times.slice(1).forEach((t, i) => expect(t - times[i]!).toBeGreaterThanOrEqual(5000));
	});

	test('flaky drops every stream within a few seconds; a reconnect resumes', async () => {
		mock = createMockServer({ seed: 1, scenario: 'flaky' });
		const r = await stream('/api/feeds/time');
		await vi.advanceTimersByTimeAsync(6000);
		expect(r.ended).toBe(true);
		const last = withIds(r.events).at(-1)!;
		await vi.advanceTimersByTimeAsync(1000);
		const again = await stream('/api/feeds/time', { 'last-event-id': last.id! });
		await vi.advanceTimersByTimeAsync(1);
		expect(Number(again.events[0]!.id)).toBe(Number(last.id) + 1);
	});

	test('with inferReconnects, a reconnect without Last-Event-ID after a drop still resumes', async () => {
		mock = createMockServer({ seed: 1, scenario: 'flaky', inferReconnects: true });
		const post = await fetch(`${BASE}/api/training`, {
			method: 'POST',
			body: JSON.stringify({
				total_epochs: 1,
				steps_per_epoch: 30,
				step_ms: 500,
				epoch_pause_ms: 0
			})
		});
		const { events } = (await post.json()) as { events: string };
		const r = await stream(events);
		await vi.advanceTimersByTimeAsync(6000);
		expect(r.ended).toBe(true);
		const last = withIds(r.events).at(-1)!;
		expect(Number(last.id)).toBeGreaterThan(1);
		await vi.advanceTimersByTimeAsync(1000);
		// Without the inferred header the job would be replayed from its first event.
		const again = await stream(events);
		await vi.advanceTimersByTimeAsync(1);
		expect(Number(again.events[0]!.id)).toBe(Number(last.id) + 1);
	});

	test('down answers 503 with Retry-After for a while, then recovers', async () => {
		mock = createMockServer({ seed: 1, scenario: 'down' });
		const down = await fetch(`${BASE}/api/feeds/time`, { headers: SSE });
		expect(down.status).toBe(503);
		expect(down.headers.get('retry-after')).toBe(String(DOWN_FOR_MS / 1000));
		expect(await down.json()).toMatchObject({ error: { code: 'at_capacity' } });
		await vi.advanceTimersByTimeAsync(DOWN_FOR_MS);
		expect((await fetch(`${BASE}/api/health`)).status).toBe(200);
	});

	test('switching the scenario closes open streams so clients reconnect into it', async () => {
		mock = createMockServer({ seed: 1 });
		const r = await stream('/api/feeds/time');
		await vi.advanceTimersByTimeAsync(1);
		expect(mock.backend.connections).toBe(1);
		mock.setScenario('down');
		await vi.advanceTimersByTimeAsync(1);
		expect(r.ended).toBe(true);
		expect(mock.backend.connections).toBe(0);
	});

	test('an idle stream gets a ping after the heartbeat, without an id', async () => {
		mock = createMockServer({ seed: 1, heartbeatMs: 5000 });
		const post = await fetch(`${BASE}/api/training`, {
			method: 'POST',
			body: JSON.stringify({
				total_epochs: 1,
				steps_per_epoch: 1,
				step_ms: 10_000,
				epoch_pause_ms: 0
			})
		});
		const { events } = (await post.json()) as { events: string };
		const r = await stream(events);
		await vi.advanceTimersByTimeAsync(4999);
		expect(r.pings).toHaveLength(0);
		await vi.advanceTimersByTimeAsync(1);
		expect(r.pings).toHaveLength(1);
		expect(r.text).toContain(`event: ping\ndata: {"epoch_ms":${Date.now()}}\n\n`);
	});

	test('finished jobs are forgotten after the TTL', async () => {
		mock = createMockServer({ seed: 1, trainingTtlMs: 1000 });
		const post = await fetch(`${BASE}/api/training`, {
			method: 'POST',
			body: JSON.stringify({ total_epochs: 1, steps_per_epoch: 1, step_ms: 1, epoch_pause_ms: 0 })
		});
		const { events } = (await post.json()) as { events: string };
		await vi.advanceTimersByTimeAsync(10);
		expect((await fetch(`${BASE}${events}`, { headers: SSE })).status).toBe(200);
		await vi.advanceTimersByTimeAsync(1000);
		expect((await fetch(`${BASE}${events}`, { headers: SSE })).status).toBe(404);
	});

	test('rejects bad input with the shared validators’ bodies', async () => {
		mock = createMockServer({ seed: 1 });
		const res = await fetch(`${BASE}/api/feeds/stocks?symbols=<b>`, { headers: SSE });
		expect(res.status).toBe(400);
		expect(await res.json()).toEqual({
			error: {
				code: 'bad_symbol',
				message:
					'unknown symbol a value of 3 characters that is not a plain token; known: AAPL, GOOGL, MSFT'
			}
		});
		const wrong = await fetch(`${BASE}/api/training/abcdefgh12`, { method: 'PUT' });
		expect(wrong.status).toBe(405);
		expect(wrong.headers.get('allow')).toBe('DELETE');
	});
});
