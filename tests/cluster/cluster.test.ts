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
import type {
	TrainingCreated,
	TrainingJobInfo,
	TrainingJobList
} from '../../src/lib/shared/contract';

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

const JOB_TYPES = ['progress', 'complete', 'cancelled'];

/** Starts a training job on `base`; fails the test on anything but `201`. */
async function startJob(base: string, body: object): Promise<TrainingCreated> {
	const res = await fetch(`${base}/api/training`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify(body)
	});
	expect(res.status).toBe(201);
	return (await res.json()) as TrainingCreated;
}

/** `GET /api/training` on `base`. */
async function listJobs(base: string): Promise<TrainingJobInfo[]> {
	return ((await (await fetch(`${base}/api/training`)).json()) as TrainingJobList).jobs;
}

/** Waits for a job stream's terminal event; returns every event it carried. */
async function jobEvents(watcher: Watcher, timeoutMs = 60_000): Promise<SeenEvent[]> {
	await waitFor(
		'the job to end',
		() => watcher.events.some((e) => e.type === 'complete' || e.type === 'cancelled'),
		timeoutMs
	);
	return watcher.events;
}

beforeAll(async () => {
	assertBuilt();
	cluster = await startCluster({ count: 3, env: { MAX_TRAINING_JOBS: '3' } });
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

	it('a client resumes on an instance that had no client of the feed, from the shared log', async () => {
		const [a, b] = cluster.instances.map((i) => i.url);
		// The time feed has no resident clients: instance b has no hub for it until the resume.
		const keeper = watch(`${a}/api/feeds/time`);
		const left = watch(`${a}/api/feeds/time`);
		opened.push(keeper, left);
		await waitFor('time events on a', () => withIds(left.events).length >= 2);
		left.close();
		const last = withIds(left.events).at(-1)!.id;
		// Events the client misses while away.
		await eventsAfter(keeper, last, 3);
		const moved = watch(`${b}/api/feeds/time`, { lastEventId: String(last) });
		opened.push(moved);
		await eventsAfter(moved, last, 4);
		expectContiguousFrom(withIds(moved.events), last + 1);
		const keeperData = new Map(withIds(keeper.events).map((e) => [e.id, e.data]));
		for (const event of withIds(moved.events).slice(0, 3)) {
			expect(event.data).toBe(keeperData.get(event.id));
		}
		keeper.close();
		moved.close();
	});

	it('a training job started on one instance is listed, watched and cancelled from the others', async () => {
		const [a, b, c] = cluster.instances.map((i) => i.url);
		const job = await startJob(a!, { total_epochs: 1, steps_per_epoch: 1000, step_ms: 50 });
		expect((await listJobs(b!)).find((j) => j.id === job.id)).toMatchObject({ state: 'running' });
		const watcher = watch(`${c}${job.events}`, { types: JOB_TYPES });
		opened.push(watcher);
		await watcher.until(3, 'progress');
		const res = await fetch(`${b}/api/training/${job.id}`, { method: 'DELETE' });
		expect(res.status).toBe(202);
		const events = await jobEvents(watcher);
		const progress = withIds(events).filter((e) => e.type === 'progress');
		expectContiguousFrom(progress, 1);
		expect(events.at(-1)).toMatchObject({ type: 'cancelled', lastEventId: '1001' });
		// Every instance lists it as cancelled, where it stopped.
		for (const base of [a!, b!, c!]) {
			const listed = (await listJobs(base)).find((j) => j.id === job.id);
			expect(listed).toMatchObject({ state: 'cancelled', progress: { step: progress.length } });
		}
		expect((await fetch(`${a}/api/training/${job.id}`, { method: 'DELETE' })).status).toBe(409);
	});

	it('MAX_TRAINING_JOBS counts across the cluster', async () => {
		const [a, b, c] = cluster.instances.map((i) => i.url);
		const slow = { total_epochs: 1, steps_per_epoch: 10, step_ms: 10_000 };
		const made = [await startJob(a!, slow), await startJob(b!, slow), await startJob(c!, slow)];
		const refused = await fetch(`${a}/api/training`, { method: 'POST' });
		expect(refused.status).toBe(429);
		expect(refused.headers.get('retry-after')).toBe('5');
		for (const job of made) {
			expect((await fetch(`${c}/api/training/${job.id}`, { method: 'DELETE' })).status).toBe(202);
		}
		const again = await startJob(b!, { total_epochs: 1, steps_per_epoch: 1, step_ms: 1 });
		expect(again.id).toMatch(/^[a-z0-9]+$/);
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

	it('a training job whose instance is killed runs to complete on another, with no gap', async () => {
		const alive = (i: number) =>
			cluster.instances[i]!.child.exitCode === null &&
			cluster.instances[i]!.child.signalCode === null;
		const live = [0, 1, 2].filter(alive);
		expect(live.length).toBe(2);
		const job = await startJob(cluster.instances[live[0]!]!.url, {
			total_epochs: 2,
			steps_per_epoch: 40,
			step_ms: 50,
			epoch_pause_ms: 100
		});
		const runner = await cluster.leaseholder(`training:${job.id}`);
		const survivor = live.find((i) => i !== runner)!;
		const watcher = watch(`${cluster.instances[survivor]!.url}${job.events}`, { types: JOB_TYPES });
		opened.push(watcher);
		await watcher.until(5, 'progress');
		await cluster.kill(runner);
		const events = await jobEvents(watcher);
		// Every event once, in order, and the job's own final event: 80 steps, then complete.
		expectContiguousFrom(withIds(events), 1);
		expect(events.map((e) => e.type)).toEqual([...Array(80).fill('progress'), 'complete']);
		expect(JSON.parse(events.at(-1)!.data)).toMatchObject({
			message: 'Training complete!',
			final_loss: 0.1
		});
		expect(
			(await listJobs(cluster.instances[survivor]!.url)).find((j) => j.id === job.id)
		).toMatchObject({
			state: 'complete'
		});
		// The watcher's stream on the survivor stayed open throughout.
		expect(watcher.opened).toBe(1);
	});
});
