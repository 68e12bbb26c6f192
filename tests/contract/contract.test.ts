/**
 * The wire contract, asserted the same way against every backend (docs: /work/shared/CONTRACT.md),
 * so the mock and the server can never drift apart. Real time, small job sizes: a few seconds each.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
	DEFAULTS,
	encodePreamble,
	parseIntervalMs,
	parseSymbols,
	parseTopics,
	parseTrainingOptions,
	trainingPlan,
	type ApiFailure
} from '../../src/lib/shared';
import { createMockServer } from '../../src/lib/mocks/node';
import { startBuiltServer } from '../support/processes';
import { assertBuilt } from '../integration/server/app';
import { record, withIds, type SseRecording } from './sse-recorder';

/** How a backend is started for the suite. */
interface Backend {
	name: string;
	start(): Promise<{ baseUrl: string; stop(): Promise<void> }>;
}

const HEARTBEAT_MS = 400;
const serverBuild = resolve('build/handler.js');

const backends: Backend[] = [
	{
		name: 'mock (MSW setupServer)',
		async start() {
			const mock = createMockServer({ seed: 7, heartbeatMs: HEARTBEAT_MS });
			return { baseUrl: 'http://localhost', stop: async () => mock.close() };
		}
	},
	{
		name: 'server, direct path (npm start: server/index.js)',
		async start() {
			assertBuilt();
			const server = await startBuiltServer({ SSE_HEARTBEAT_MS: String(HEARTBEAT_MS) });
			return { baseUrl: server.url, stop: () => server.stop() };
		}
	},
	{
		name: 'server, endpoints path (adapter-node build)',
		async start() {
			assertBuilt();
			process.env.SSE_HEARTBEAT_MS = String(HEARTBEAT_MS);
			const { handler } = (await import(/* @vite-ignore */ pathToFileURL(serverBuild).href)) as {
				handler: http.RequestListener;
			};
			const server = http.createServer(handler);
			await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
			const { port } = server.address() as AddressInfo;
			return {
				baseUrl: `http://127.0.0.1:${port}`,
				stop: () =>
					new Promise<void>((done) => {
						server.closeAllConnections();
						server.close(() => done());
					})
			};
		}
	}
];

const SSE = { accept: 'text/event-stream' };
const x0 = <T>(list: T[]): T => list[0]!;
const INT_ID = /^\d+$/;

function failureBody(parsed: { ok: boolean }): ApiFailure['body'] {
	if (parsed.ok) throw new Error('expected the shared validator to reject the input');
	return (parsed as ApiFailure).body;
}

for (const backend of backends) {
	describe(`wire contract: ${backend.name}`, () => {
		let base = '';
		let stop: () => Promise<void> = async () => {};
		const open: SseRecording[] = [];
		const stream = async (path: string, init: RequestInit = {}) => {
			const r = await record(`${base}${path}`, { ...init, headers: { ...SSE, ...init.headers } });
			open.push(r);
			return r;
		};

		beforeAll(async () => {
			({ baseUrl: base, stop } = await backend.start());
		});
		afterAll(async () => {
			await Promise.all(open.map((r) => r.close()));
			await stop();
		});

		test.each([
			'/api/feeds/time',
			'/api/feeds/system',
			'/api/feeds/stocks',
			'/api/feeds?topics=time,stocks'
		])('%s answers with the stream headers and the retry + comment preamble', async (path) => {
			const r = await stream(path);
			expect(r.response.status).toBe(200);
			expect(r.response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
			expect(r.response.headers.get('cache-control')).toBe('no-cache, no-transform');
			expect(r.response.headers.get('x-accel-buffering')).toBe('no');
			expect(r.response.headers.get('vary')).toMatch(/Origin/i);
			await r.until((x) => x.events.length > 0);
			expect(r.text.startsWith(encodePreamble(DEFAULTS.retryMs))).toBe(true);
			await r.close();
		});

		test('time: an unnamed event at once, then every second, with increasing integer ids', async () => {
			const r = await stream('/api/feeds/time');
			await r.until((x) => withIds(x.events).length >= 2);
			for (const e of r.events) {
				expect(e.event).toBeUndefined();
				const tick = JSON.parse(e.data) as Record<string, unknown>;
				expect(Object.keys(tick).sort()).toEqual(['epoch_ms', 'iso', 'time']);
				expect(tick.time).toMatch(/^\d\d:\d\d:\d\d$/);
				expect(new Date(tick.iso as string).getTime()).toBe(tick.epoch_ms);
				expect((tick.epoch_ms as number) % 1000).toBe(0);
			}
			const ids = withIds(r.events).map((e) => e.id!);
			ids.forEach((id) => expect(id).toMatch(INT_ID));
			expect(Number(ids[1])).toBeGreaterThan(Number(ids[0]));
			await r.close();
		});

		test('resumes with Last-Event-ID (header or lastEventId query) from the replay buffer', async () => {
			const first = await stream('/api/feeds/time');
			// Three snapshot events, then at least two moves.
			await first.until((x) => withIds(x.events.slice(3)).length >= 2);
			await first.close();
			const [a, b] = withIds(first.events);
			for (const how of ['header', 'query'] as const) {
				const r =
					how === 'header'
						? await stream('/api/feeds/time', { headers: { 'last-event-id': a!.id! } })
						: await stream(`/api/feeds/time?lastEventId=${a!.id}`);
				await r.until((x) => x.events.length >= 1);
				expect(r.events[0]!.id).toBe(b!.id);
				expect(r.events[0]!.data).toBe(b!.data);
				await r.close();
			}
		});

		test('an id the server does not recognise gets the current state at once', async () => {
			const r = await stream('/api/feeds/stocks?symbols=MSFT', {
				headers: { 'last-event-id': 'junk' }
			});
			await r.until((x) => x.events.length >= 1);
			expect(r.events[0]!.event).toBe('MSFT');
			await r.close();
		});

		test('system: a sample at once in the contract shape; interval_ms is validated', async () => {
			const r = await stream('/api/feeds/system?interval_ms=500');
			await r.until((x) => x.events.length >= 1);
			const sample = JSON.parse(r.events[0]!.data) as Record<string, unknown>;
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
			await r.close();
			const bad = await fetch(`${base}/api/feeds/system?interval_ms=5`, { headers: SSE });
			expect(bad.status).toBe(400);
			expect(await bad.json()).toEqual(failureBody(parseIntervalMs('5')));
		});

		test('stocks: a snapshot of every requested symbol, then only their named events', async () => {
			const r = await stream('/api/feeds/stocks?symbols=AAPL,MSFT');
			await r.until((x) => x.events.length >= 2);
			expect(r.events.slice(0, 2).map((e) => e.event)).toEqual(['AAPL', 'MSFT']);
			for (const e of r.events.slice(0, 2)) {
				const quote = JSON.parse(e.data) as Record<string, unknown>;
				expect(Object.keys(quote).sort()).toEqual(['change', 'epoch_ms', 'price', 'symbol']);
				expect(quote.symbol).toBe(e.event);
			}
			await r.until((x) => x.events.length >= 3);
			expect(['AAPL', 'MSFT']).toContain(r.events[2]!.event);
			expect(r.events[2]!.id).toMatch(INT_ID);
			await r.close();
			const bad = await fetch(`${base}/api/feeds/stocks?symbols=AAPL,XYZ`, { headers: SSE });
			expect(bad.status).toBe(400);
			expect(await bad.json()).toEqual(
				failureBody(parseSymbols('AAPL,XYZ', ['AAPL', 'GOOGL', 'MSFT']))
			);
		});

		test('a snapshot is the events already sent, each with its own id, in increasing order', async () => {
			const first = await stream('/api/feeds/stocks');
			// Three snapshot events, then at least two moves.
			await first.until((x) => withIds(x.events.slice(3)).length >= 2);
			const second = await stream('/api/feeds/stocks');
			await second.until((x) => x.events.length >= 3);
			const snapshot = second.events.slice(0, 3);
			expect(snapshot.map((e) => e.event).sort()).toEqual(['AAPL', 'GOOGL', 'MSFT']);
			const ids = withIds(snapshot).map((e) => Number(e.id));
			expect(ids.length).toBeGreaterThanOrEqual(1);
			expect(snapshot.at(-1)!.id).toMatch(INT_ID);
			expect(ids).toEqual([...ids].sort((a, b) => a - b));
			expect(new Set(ids).size).toBe(ids.length);
			// Every symbol that had moved is sent as its newest move: the same id, the same bytes.
			const moved = new Set(withIds(first.events.slice(3)).map((e) => e.event));
			for (const e of snapshot.filter((e) => moved.has(e.event))) {
				expect(e.id).toMatch(INT_ID);
				await first.until((x) => x.events.some((seen) => seen.id === e.id));
				expect(first.events.find((seen) => seen.id === e.id)!.data).toBe(e.data);
			}
			await first.close();
			await second.close();
		});

		test('multiplexed stream: feed-named events and composite ids that resume each feed', async () => {
			const r = await stream('/api/feeds?topics=time,stocks&symbols=GOOGL');
			await r.until((x) => x.events.some((e) => e.event === 'time' && e.id !== undefined));
			expect(r.events.some((e) => e.event === 'stocks:GOOGL')).toBe(true);
			for (const e of r.events) expect(['time', 'stocks:GOOGL']).toContain(e.event);
			const ids = withIds(r.events).map((e) => e.id!);
			ids.forEach((id) => expect(id).toMatch(/^(time|stocks)=\d+(;(time|stocks)=\d+)*$/));
			// Resume from an id that names a position in both feeds, so neither gets a snapshot
			// (which, were the second to turn meanwhile, would be a newer tick).
			const both = (id: string | undefined) => /time=/.test(id ?? '') && /stocks=/.test(id ?? '');
			await r.until((x) => {
				const at = x.events.findIndex((e) => both(e.id));
				return at >= 0 && x.events.length > at + 1;
			});
			await r.close();
			const at = r.events.findIndex((e) => both(e.id));
			const [a, b] = [r.events[at]!, r.events[at + 1]!];
			const again = await stream(`/api/feeds?topics=time,stocks&symbols=GOOGL`, {
				headers: { 'last-event-id': a.id! }
			});
			// The next event of b's feed after a is b itself, replayed.
			await again.until((x) => x.events.some((e) => e.event === b.event));
			expect(again.events.find((e) => e.event === b.event)!.data).toBe(b.data);
			await again.close();
			const bad = await fetch(`${base}/api/feeds?topics=time,weather`, { headers: SSE });
			expect(bad.status).toBe(400);
			expect(await bad.json()).toEqual(failureBody(parseTopics('time,weather')));
		});

		test('an idle stream gets a named ping without an id', async () => {
			const post = await fetch(`${base}/api/training`, {
				method: 'POST',
				body: JSON.stringify({
					total_epochs: 1,
					steps_per_epoch: 2,
					step_ms: 2500,
					epoch_pause_ms: 0
				})
			});
			const { id, events } = (await post.json()) as { id: string; events: string };
			const r = await stream(events);
			await r.until((x) => x.pings.length > 0);
			const ping = x0(r.pings);
			expect(ping.id).toBeUndefined();
			expect(Object.keys(JSON.parse(ping.data) as object)).toEqual(['epoch_ms']);
			expect(r.text).toContain('event: ping\ndata: {"epoch_ms":');
			await r.close();
			expect((await fetch(`${base}/api/training/${id}`, { method: 'DELETE' })).status).toBe(202);
		});

		test('training: progress events with the plan ids and payloads, complete, then 204', async () => {
			const options = { total_epochs: 2, steps_per_epoch: 3, step_ms: 5, epoch_pause_ms: 10 };
			const post = await fetch(`${base}/api/training`, {
				method: 'POST',
				body: JSON.stringify(options)
			});
			expect(post.status).toBe(201);
			const created = (await post.json()) as { id: string; events: string };
			expect(created.events).toBe(`/api/training/${created.id}/events`);
			const r = await stream(created.events);
			await r.until((x) => x.ended);
			const plan = trainingPlan(options);
			const progress = r.events.filter((e) => e.event === 'progress');
			expect(progress.map((e) => e.id)).toEqual(['1', '2', '3', '4', '5', '6']);
			progress.forEach((e, i) => expect(JSON.parse(e.data)).toEqual(plan.progressAt(i + 1)));
			const last = r.events.at(-1)!;
			expect(last.event).toBe('complete');
			expect(last.id).toBe('7');
			const complete = JSON.parse(last.data) as Record<string, unknown>;
			expect(complete.message).toBe('Training complete!');
			expect(complete.final_loss).toBe(0.1);
			expect(typeof complete.duration_ms).toBe('number');

			const done = await fetch(`${base}${created.events}`, {
				headers: { ...SSE, 'last-event-id': '7' }
			});
			expect(done.status).toBe(204);
			const resumed = await stream(created.events, { headers: { 'last-event-id': '4' } });
			await resumed.until((x) => x.ended);
			expect(resumed.events.map((e) => e.id)).toEqual(['5', '6', '7']);

			const list = (await (await fetch(`${base}/api/training`)).json()) as {
				jobs: {
					id: string;
					state: string;
					progress: unknown;
					events: string;
					created_at: string;
				}[];
			};
			const job = list.jobs.find((j) => j.id === created.id)!;
			expect(job.state).toBe('complete');
			expect(job.progress).toEqual(plan.progressAt(6));
			expect(Number.isNaN(Date.parse(job.created_at))).toBe(false);

			const again = await fetch(`${base}/api/training/${created.id}`, { method: 'DELETE' });
			expect(again.status).toBe(409);
			expect(((await again.json()) as ApiFailure['body']).error.code).toBe('already_finished');
		});

		test('training: DELETE cancels a running job, whose stream ends with `cancelled`', async () => {
			const post = await fetch(`${base}/api/training`, {
				method: 'POST',
				body: JSON.stringify({
					total_epochs: 1,
					steps_per_epoch: 100,
					step_ms: 50,
					epoch_pause_ms: 0
				})
			});
			const { id, events } = (await post.json()) as { id: string; events: string };
			const r = await stream(events);
			await r.until((x) => x.events.length >= 1);
			expect((await fetch(`${base}/api/training/${id}`, { method: 'DELETE' })).status).toBe(202);
			await r.until((x) => x.ended);
			expect(r.events.at(-1)!.event).toBe('cancelled');
		});

		test('training: bad bodies, unknown jobs and the running-job cap', async () => {
			const post = (body: string) => fetch(`${base}/api/training`, { method: 'POST', body });
			const unknown = await post('{"epochs": 3}');
			expect(unknown.status).toBe(400);
			expect(await unknown.json()).toEqual(failureBody(parseTrainingOptions({ epochs: 3 })));
			const range = await post('{"total_epochs": 0}');
			expect(await range.json()).toEqual(failureBody(parseTrainingOptions({ total_epochs: 0 })));
			const junk = await post('{nope');
			expect(junk.status).toBe(400);
			expect(((await junk.json()) as ApiFailure['body']).error.code).toBe('bad_json');
			const big = await post(JSON.stringify({ pad: 'x'.repeat(DEFAULTS.maxBodyBytes) }));
			expect(big.status).toBe(413);
			expect(((await big.json()) as ApiFailure['body']).error.code).toBe('body_too_large');

			for (const path of ['/api/training/zzzzzzzzzzzz/events', '/api/training/zzzzzzzzzzzz']) {
				const res = await fetch(`${base}${path}`, {
					method: path.endsWith('events') ? 'GET' : 'DELETE'
				});
				expect(res.status).toBe(404);
				expect(((await res.json()) as ApiFailure['body']).error.code).toBe('not_found');
			}

			const slow = JSON.stringify({
				total_epochs: 1,
				steps_per_epoch: 10,
				step_ms: 10_000,
				epoch_pause_ms: 0
			});
			const ids: string[] = [];
			let refused: Response | null = null;
			for (let i = 0; i <= DEFAULTS.maxTrainingJobs && !refused; i++) {
				const res = await post(slow);
				if (res.status === 201) ids.push(((await res.json()) as { id: string }).id);
				else refused = res;
			}
			expect(refused?.status).toBe(429);
			expect(refused?.headers.get('retry-after')).toMatch(/^\d+$/);
			expect(((await refused!.json()) as ApiFailure['body']).error.code).toBe('too_many_jobs');
			for (const id of ids) await fetch(`${base}/api/training/${id}`, { method: 'DELETE' });
		});

		test('health, 404 for unknown routes and 405 with Allow', async () => {
			const health = await fetch(`${base}/api/health`);
			expect(health.status).toBe(200);
			const body = (await health.json()) as Record<string, unknown>;
			expect(body.status).toBe('ok');
			expect(typeof body.uptime_s).toBe('number');
			expect(typeof body.connections).toBe('number');

			const missing = await fetch(`${base}/api/nothing-here`);
			expect(missing.status).toBe(404);
			expect(((await missing.json()) as ApiFailure['body']).error.code).toBe('not_found');

			const wrong = await fetch(`${base}/api/feeds/time`, { method: 'POST' });
			expect(wrong.status).toBe(405);
			expect(wrong.headers.get('allow')).toMatch(/GET/);
			expect(((await wrong.json()) as ApiFailure['body']).error.code).toBe('method_not_allowed');

			const param = await fetch(`${base}/api/feeds/time?foo=1`, { headers: SSE });
			expect(param.status).toBe(400);
			expect(((await param.json()) as ApiFailure['body']).error.code).toBe('bad_parameter');
		});
	});
}
