/**
 * /metrics of the built app moves with what the app does: events and bytes sent, streams open
 * and closed, replays, heartbeats, producers and training jobs. Each check waits for the counter
 * to move, never for a time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMetrics, startApp, sumMetric, waitFor, watch, type App } from './app';

let app: App;

beforeAll(async () => {
	// Heartbeats at the shortest allowed idle time, so a stream between two ticks gets pings.
	app = await startApp({ SSE_HEARTBEAT_MS: '100' });
});
afterAll(async () => {
	await app?.close();
});

const metric = async (name: string) => sumMetric(await readMetrics(app.base), name);
const labelled = async (key: string) => (await readMetrics(app.base)).get(key) ?? 0;

describe('metrics', () => {
	it('counts events and bytes sent per feed, and the open streams', async () => {
		const events = await labelled('live_feeds_events_sent_total{feed="time"}');
		const bytes = await labelled('live_feeds_bytes_sent_total{feed="time"}');
		const time = watch(`${app.base}/api/feeds/time`);
		await time.until(3);
		expect(await labelled('live_feeds_connections{feed="time"}')).toBe(1);
		expect(await metric('live_feeds_producers_running')).toBeGreaterThan(0);
		await waitFor('events to be counted', async () => {
			const now = await labelled('live_feeds_events_sent_total{feed="time"}');
			return now >= events + 2;
		});
		expect(await labelled('live_feeds_bytes_sent_total{feed="time"}')).toBeGreaterThan(bytes);
		time.close();
		await waitFor('the stream to be counted closed', async () => {
			const closed = await labelled('live_feeds_streams_closed_total{feed="time",reason="client"}');
			return closed >= 1 && (await labelled('live_feeds_connections{feed="time"}')) === 0;
		});
	});

	it('counts heartbeats on a stream that is idle between events', async () => {
		const before = await metric('live_feeds_heartbeats_total');
		const time = watch(`${app.base}/api/feeds/time`);
		await time.until(1);
		await waitFor(
			'a heartbeat',
			async () => (await metric('live_feeds_heartbeats_total')) > before
		);
		time.close();
	});

	it('counts a reconnect served from the replay buffer', async () => {
		const before = await labelled('live_feeds_replays_total{feed="time"}');
		const first = watch(`${app.base}/api/feeds/time`);
		const [event] = await first.until(2);
		const resumed = watch(`${app.base}/api/feeds/time`, { lastEventId: event!.lastEventId });
		await resumed.until(1);
		first.close();
		resumed.close();
		await waitFor('the replay to be counted', async () => {
			return (await labelled('live_feeds_replays_total{feed="time"}')) > before;
		});
	});

	it('counts training jobs by state as they run and finish', async () => {
		const complete = await labelled('live_feeds_training_jobs{state="complete"}');
		const created = await fetch(`${app.base}/api/training`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ total_epochs: 1, steps_per_epoch: 3, step_ms: 1, epoch_pause_ms: 0 })
		});
		expect(created.status).toBe(201);
		await waitFor('the job to be counted complete', async () => {
			return (await labelled('live_feeds_training_jobs{state="complete"}')) === complete + 1;
		});
	});

	it('goes back to no running producer once nobody listens', async () => {
		await waitFor('every producer to stop', async () => {
			return (await metric('live_feeds_producers_running')) === 0;
		});
	});
});
