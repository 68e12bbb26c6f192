/**
 * A reconnect storm against the built server: 1,000 clients of the multiplexed stream go away
 * together, miss a few seconds of events, and come back at once, each with its own
 * `Last-Event-ID`. Every one must resume gap-free and duplicate-free (raw http clients parsing
 * with eventsource-parser, in forked processes). Gaps, duplicates and the time until all have
 * resumed are recorded as figures; only the gaps and duplicates are asserted.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Started } from '../../support/processes';
import { readMetrics, sumMetric } from '../server/app';
import { recordFigures } from './lib/figures';
import { SERVERS, streamMetrics } from './lib/servers';
import { StreamClients } from './lib/stream-clients.js';

const CLIENTS = 1000;
const PATH = '/api/feeds?topics=time,stocks';

let server: Started | null = null;
let clients: StreamClients | null = null;

afterEach(async () => {
	await clients?.dispose();
	clients = null;
	await server?.stop('SIGKILL');
	server = null;
});

/** `time=12;stocks=40` → {time: 12, stocks: 40}. */
function positions(id: string): Record<string, number> {
	return Object.fromEntries(
		id.split(';').map((part) => {
			const [topic, value] = part.split('=');
			return [topic!, Number(value)];
		})
	);
}

describe.each(SERVERS)('a reconnect storm ($name path)', (kind) => {
	it(`resumes ${CLIENTS} clients that come back at once with Last-Event-ID, gap-free and duplicate-free`, async () => {
		server = await kind.start({ MAX_CONNECTIONS_PER_CLIENT: String(CLIENTS * 2) });
		clients = new StreamClients(2);
		// One client stays connected throughout: it tells where the feed is.
		await clients.open({ port: server.port, path: PATH, count: 1, group: 'sentinel' });
		const first = await clients.open({
			port: server.port,
			path: PATH,
			count: CLIENTS,
			group: 'first'
		});
		expect(first.failed).toBe(0);
		// The snapshot (a tick and each symbol's quote), then one live tick at least.
		expect((await clients.waitEvents('first', 5, 30_000)).ok).toBe(true);
		const ids = await clients.lastIds('first');
		expect(ids).toHaveLength(CLIENTS);
		const sentinel = await clients.state('sentinel');
		await clients.drop('first');
		const dropped = await clients.state('first');
		expect(dropped.endedByServer).toBe(0);

		// Gone for at least three ticks: every client has events to catch up on.
		await clients.waitEvents('sentinel', sentinel.events + 4, 30_000);
		const [newest] = await clients.lastIds('sentinel');
		const target = positions(newest!);
		await clients.target('storm', { time: target.time! });
		const replaysBefore = sumMetric(await readMetrics(server.url), 'live_feeds_replays_total');

		const stormStart = Date.now();
		const storm = await clients.open({
			port: server.port,
			path: PATH,
			group: 'storm',
			lastEventIds: ids,
			concurrency: CLIENTS
		});
		const openedMs = Date.now() - stormStart;
		expect(storm).toMatchObject({ opened: CLIENTS, failed: 0 });
		const missed = ids.map((id) => target.time! - positions(id).time!);
		expect(Math.min(...missed)).toBeGreaterThanOrEqual(1);

		const resumed = await clients.waitEvents('storm', 2, 30_000);
		let state = await clients.state('storm');
		for (let i = 0; i < 300 && state.resumed < CLIENTS; i++) {
			await new Promise((r) => setTimeout(r, 100));
			state = await clients.state('storm');
		}
		expect(resumed.ok).toBe(true);
		expect(state.resumed).toBe(CLIENTS);
		expect(state.gaps).toBe(0);
		expect(state.dups).toBe(0);
		expect(state.endedByServer).toBe(0);
		const replays =
			sumMetric(await readMetrics(server.url), 'live_feeds_replays_total') - replaysBefore;
		expect(replays).toBeGreaterThanOrEqual(CLIENTS);
		expect((await streamMetrics(server.url)).connections).toBe(CLIENTS + 1);

		recordFigures('storm', kind.name, {
			server: kind.name,
			clients: CLIENTS,
			path: PATH,
			ticks_missed_min: Math.min(...missed),
			ticks_missed_max: Math.max(...missed),
			ms_to_open_all: openedMs,
			ms_to_all_resumed: state.lastResumedAt - stormStart,
			events_after_resume: state.events,
			gaps: state.gaps,
			dups: state.dups,
			replays_served: replays,
			dropped_by_server: state.endedByServer
		});
	}, 90_000);
});
