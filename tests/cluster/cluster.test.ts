/**
 * Three built instances (`npm start`'s server/index.js) on one real Redis, read with real EventSource
 * clients (issue 13). Leases of 600 ms keep it short; every wait is for a condition. The tests
 * run in order on one cluster: the Redis restart and the kill come last.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
	assertBuilt,
	waitFor,
	watch,
	type SeenEvent,
	type Watcher
} from '../integration/server/app';
import { startCluster, type Cluster } from '../support/cluster';

const SYMBOLS = ['AAPL', 'GOOGL', 'MSFT'];
const STOCKS = '/api/feeds/stocks';

let cluster: Cluster;
/** One client per instance from the start, so every instance's hub follows the feed. */
const resident: Watcher[] = [];
const opened: Watcher[] = [];

function stocks(base: string, lastEventId?: string): Watcher {
	const watcher = watch(`${base}${STOCKS}`, { types: SYMBOLS, lastEventId });
	opened.push(watcher);
	return watcher;
}

/** The events that carry an id, as numbers. */
function withIds(events: SeenEvent[]): (SeenEvent & { id: number })[] {
	return events
		.filter((e) => e.lastEventId !== '')
		.map((e) => ({ ...e, id: Number(e.lastEventId) }));
}

/** Waits until `watcher` has `count` events with ids after `afterId`; returns all of those. */
async function eventsAfter(watcher: Watcher, afterId: number, count: number, timeoutMs = 30_000) {
	const after = () => withIds(watcher.events).filter((e) => e.id > afterId);
	await waitFor(
		`${count} events after ${afterId} (got ${after().length})`,
		() => after().length >= count,
		timeoutMs
	);
	return after();
}

function expectContiguousFrom(events: { id: number }[], first: number) {
	expect(events.map((e) => e.id)).toEqual(events.map((_, i) => first + i));
}

beforeAll(async () => {
	assertBuilt();
	cluster = await startCluster({ count: 3 });
	for (const instance of cluster.instances) resident.push(stocks(instance.url));
	await cluster.leaseholder('stocks');
}, 120_000);

afterAll(async () => {
	for (const watcher of opened) watcher.close();
	await cluster?.stop();
});

describe('three instances on one Redis', () => {
	it('every instance sends the same ids for the same events', async () => {
		const start = Math.max(...resident.map((w) => withIds(w.events).at(-1)?.id ?? 0));
		const seen = await Promise.all(resident.map((w) => eventsAfter(w, start, 4)));
		const byId = seen.map((events) => new Map(events.map((e) => [e.id, `${e.type} ${e.data}`])));
		const common = [...byId[0]!.keys()].filter((id) => byId.every((m) => m.has(id)));
		expect(common.length).toBeGreaterThanOrEqual(4);
		for (const id of common) {
			expect(byId[1]!.get(id)).toBe(byId[0]!.get(id));
			expect(byId[2]!.get(id)).toBe(byId[0]!.get(id));
		}
		// One sequence for the feed, whichever instance's producer made the event.
		for (const events of seen) expectContiguousFrom(events, events[0]!.id);
	});

	it('a client that moves to another instance with Last-Event-ID resumes with no gap and no duplicate', async () => {
		const first = stocks(cluster.instances[0]!.url);
		await waitFor('live events on instance 0', () => withIds(first.events).length >= 5);
		first.close();
		const last = withIds(first.events).at(-1)!.id;
		const moved = stocks(cluster.instances[1]!.url, String(last));
		const resumed = await eventsAfter(moved, last, 3);
		// Nothing at or before `last` again, and nothing between.
		expect(withIds(moved.events).filter((e) => e.id <= last)).toEqual([]);
		expectContiguousFrom(withIds(moved.events), last + 1);
		// The very same events as instance 1's resident client saw.
		const resident1 = new Map(withIds(resident[1]!.events).map((e) => [e.id, e.data]));
		for (const event of resumed) expect(event.data).toBe(resident1.get(event.id));
	});

	it('after a Redis restart mid-stream every instance recovers by itself', async () => {
		const before = resident.map((w) => withIds(w.events).at(-1)?.id ?? 0);
		const opens = resident.map((w) => w.opened);
		await cluster.redis.restart();
		await waitFor('the instances to see the outage', async () => {
			const health = await Promise.all(cluster.instances.map((_, i) => cluster.health(i)));
			return health.every((h) => h !== null && h.bus!.errors > 0);
		});
		await waitFor('every bus to be ok again', async () => {
			const health = await Promise.all(cluster.instances.map((_, i) => cluster.health(i)));
			return health.every((h) => h?.bus?.state === 'ok');
		});
		await cluster.leaseholder('stocks');
		const after = await Promise.all(resident.map((w, i) => eventsAfter(w, before[i]!, 3)));
		for (const [i, watcher] of resident.entries()) {
			const ids = withIds(watcher.events).map((e) => e.id);
			expect(new Set(ids).size).toBe(ids.length);
			expect(ids.every((id, k) => k === 0 || id > ids[k - 1]!)).toBe(true);
			expect(after[i]!.length).toBeGreaterThanOrEqual(3);
			// The stream stayed open through the outage: no reconnect.
			expect(watcher.opened).toBe(opens[i]);
		}
	});

	it('after kill -9 of the leaseholder the feed goes on elsewhere and a resuming client loses 0 events', async () => {
		const holder = await cluster.leaseholder('stocks');
		const other = [0, 1, 2].find((i) => i !== holder)!;
		const onHolder = stocks(cluster.instances[holder]!.url);
		await waitFor('live events on the leaseholder', () => withIds(onHolder.events).length >= 3);
		const otherBefore = withIds(resident[other]!.events).at(-1)!.id;

		const killedAt = Date.now();
		await cluster.kill(holder);
		onHolder.close();
		resident[holder]!.close();
		const last = withIds(onHolder.events).at(-1)!.id;
		const next = await cluster.leaseholder('stocks', holder);
		expect(next).not.toBe(holder);

		// The client that was on the dead instance resumes on another: every id after its last.
		const resumed = stocks(cluster.instances[other]!.url, String(last));
		await eventsAfter(resumed, last, 3);
		expectContiguousFrom(withIds(resumed.events), last + 1);
		// A client of a surviving instance saw the feed go on with no gap and no duplicate.
		const madeAfter = () =>
			withIds(resident[other]!.events).filter(
				(e) => (JSON.parse(e.data) as { epoch_ms: number }).epoch_ms > killedAt
			);
		await waitFor('events made after the kill', () => madeAfter().length >= 2, 30_000);
		expectContiguousFrom(
			withIds(resident[other]!.events).filter((e) => e.id > otherBefore),
			otherBefore + 1
		);
	});
});
