/**
 * The Redis job store against a real redis-server started here (127.0.0.1, ephemeral port,
 * stopped by PID). Two stores on one Redis stand for two instances. Jobs use steps of a few ms and
 * leases of 400 ms; every wait is for a condition, never a duration.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TrainingOptions } from '$lib/shared/contract';
import type { ApiFailure } from '$lib/shared/errors';
import { trainingPlan } from '$lib/shared/training';
import { SseConnection } from '$lib/backend/sse/connection';
import { collect, type ParsedEvent } from '$lib/backend/testing';
import { createClock, type Clock } from '$lib/backend/timers';
import { createClient } from 'redis';
import type { JobEvents, TrainingJobs } from '$lib/backend/training/jobs';
import { startRedis, type StartedRedis } from '../../../tests/support/redis';
import { waitFor } from '../../../tests/integration/server/app';
import { createRedisBus, type RedisBus } from './redis-bus';
import { createServerBackend } from './backend';
import { readConfig } from './config';
import { createRedisJobs } from './redis-jobs';

let redis: StartedRedis;
let prefix = 0;
const opened: { bus: RedisBus; jobs: TrainingJobs }[] = [];

beforeAll(async () => {
	redis = await startRedis();
});

afterEach(async () => {
	for (const { jobs } of opened) jobs.dispose();
	await Promise.all(opened.splice(0).map(({ bus }) => bus.close()));
	prefix++;
});

afterAll(async () => {
	await redis?.stop();
});

const OPTIONS: TrainingOptions = {
	total_epochs: 2,
	steps_per_epoch: 5,
	step_ms: 5,
	epoch_pause_ms: 5
};
const PLAN = trainingPlan(OPTIONS);

/** One instance's job store on the test's Redis (keys apart from other tests'). */
function instance(
	options: { maxRunning?: number; ttlMs?: number; url?: string; clock?: Clock } = {}
) {
	const bus = createRedisBus({
		url: options.url ?? redis.url,
		prefix: `j${prefix}:`,
		leaseMs: 400,
		onError: () => {}
	});
	const jobs = createRedisJobs({
		bus,
		clock: options.clock ?? createClock(),
		limits: { maxRunning: options.maxRunning ?? 8, ttlMs: options.ttlMs ?? 60_000 },
		scanMs: 100
	});
	opened.push({ bus, jobs });
	return { bus, jobs };
}

async function ready(...stores: { bus: RedisBus }[]) {
	await waitFor('the buses to be ok', () => stores.every((s) => s.bus.status().state === 'ok'));
}

function isJob(value: JobEvents | ApiFailure | undefined): asserts value is JobEvents {
	if (!value || 'ok' in value) throw new Error(`not a job: ${JSON.stringify(value)}`);
}

/** A stream of `job` from after `lastEventId`; `events()` waits for its end and parses it all. */
function watch(job: JobEvents, lastEventId: number | null = null) {
	let leave = () => {};
	const connection = new SseConnection({ maxBufferBytes: 1 << 20, onClose: () => leave() });
	const reader = collect(connection.stream);
	leave = job.join(connection, lastEventId);
	return {
		async events(): Promise<ParsedEvent[]> {
			await waitFor(`the stream of ${job.id} to end`, () => reader.ended, 20_000);
			return reader.events();
		}
	};
}

/** Makes a job on `a` and watches it from `b`: the job on each instance, and `b`'s watcher. */
async function createdAndWatched(
	a: ReturnType<typeof instance>,
	b: ReturnType<typeof instance>,
	options: TrainingOptions
) {
	const created = await a.jobs.create(options);
	isJob(created);
	const there = await b.jobs.get(created.id);
	isJob(there);
	return { created, there, onB: watch(there) };
}

/**
 * Makes a job on `a`, watches it from `b`, and once `b` has seen `progressBefore` progress events
 * takes `a` away (its runner stops and its lease is given up); resolves with what `b`'s watcher got.
 */
async function watchThroughTakeover(
	a: ReturnType<typeof instance>,
	b: ReturnType<typeof instance>,
	progressBefore: number
): Promise<ParsedEvent[]> {
	await ready(a, b);
	const { there, onB } = await createdAndWatched(a, b, { ...OPTIONS, step_ms: 40 });
	await waitFor(`${progressBefore} progress events`, () => there.seq >= progressBefore);
	a.jobs.dispose();
	await a.bus.close();
	return onB.events();
}

const rawRedis = () => createClient({ url: redis.url });

/** Runs `fn` with a plain client on the test's Redis, for poking at keys. */
async function withRawRedis(fn: (raw: ReturnType<typeof rawRedis>) => Promise<unknown>) {
	const raw = rawRedis();
	await raw.connect();
	try {
		await fn(raw);
	} finally {
		await raw.close();
	}
}

/** The ids and names of a stream's events. */
const idsOf = (events: ParsedEvent[]) => events.map((e) => [Number(e.id), e.event]);
/** What a whole job sends: progress 1..N, then `complete` with id N + 1. */
const WHOLE_JOB = [
	...Array.from({ length: PLAN.progressCount }, (_, i) => [i + 1, 'progress']),
	[PLAN.progressCount + 1, 'complete']
];

describe('training jobs on Redis', () => {
	it('runs a job made on one instance to complete for a watcher on another, every event once', async () => {
		const a = instance();
		const b = instance();
		await ready(a, b);
		const { created, onB } = await createdAndWatched(a, b, OPTIONS);
		const onA = watch(created);
		const events = await onB.events();
		expect(idsOf(events)).toEqual(WHOLE_JOB);
		expect(JSON.parse(events[3]!.data)).toEqual(PLAN.progressAt(4));
		expect(JSON.parse(events.at(-1)!.data)).toMatchObject({
			message: 'Training complete!',
			final_loss: PLAN.complete(0).final_loss
		});
		// The creator's own watcher saw the very same events, terminal payload included.
		expect(await onA.events()).toEqual(events);
		const listed = await b.jobs.list();
		expect(listed).toEqual([
			expect.objectContaining({ id: created.id, state: 'complete', progress: PLAN.progressAt(10) })
		]);
		expect(await a.jobs.countByState()).toEqual({ running: 0, complete: 1, cancelled: 0 });
	});

	it('replays a finished job from any instance, and resumes after Last-Event-ID', async () => {
		const a = instance();
		const b = instance();
		await ready(a, b);
		const created = await a.jobs.create(OPTIONS);
		isJob(created);
		await watch(created).events();
		const there = await b.jobs.get(created.id);
		isJob(there);
		expect(there.state).toBe('complete');
		expect(idsOf(await watch(there).events())).toEqual(WHOLE_JOB);
		expect(idsOf(await watch(there, 8).events())).toEqual(WHOLE_JOB.slice(8));
		expect(there.isSeenToEnd(PLAN.progressCount + 1)).toBe(true);
	});

	it('counts MAX_TRAINING_JOBS across instances', async () => {
		const slow = { ...OPTIONS, step_ms: 10_000 };
		const a = instance({ maxRunning: 2 });
		const b = instance({ maxRunning: 2 });
		await ready(a, b);
		const first = await a.jobs.create(slow);
		isJob(first);
		isJob(await b.jobs.create(slow));
		expect(await a.jobs.create(slow)).toMatchObject({ ok: false, status: 429 });
		expect(await b.jobs.create(slow)).toMatchObject({
			ok: false,
			status: 429,
			headers: { 'retry-after': '5' }
		});
		// A cancel on the other instance frees a place for both.
		expect(await b.jobs.cancel(first.id)).toMatchObject({ id: first.id, state: 'cancelled' });
		isJob(await a.jobs.create(slow));
		expect(await b.jobs.countByState()).toEqual({ running: 2, complete: 0, cancelled: 1 });
	});

	it('cancels from another instance: one cancelled event after the last progress, then nothing', async () => {
		const a = instance();
		const b = instance();
		await ready(a, b);
		const created = await a.jobs.create({ ...OPTIONS, step_ms: 50 });
		isJob(created);
		const onA = watch(created);
		await waitFor('two progress events', () => created.seq >= 2);
		const cancelled = await b.jobs.cancel(created.id);
		expect(cancelled).toMatchObject({ state: 'cancelled' });
		const events = await onA.events();
		const progress = events.filter((e) => e.event === 'progress');
		expect(progress.map((e) => Number(e.id))).toEqual(progress.map((_, i) => i + 1));
		expect(events.at(-1)).toMatchObject({ event: 'cancelled', id: String(PLAN.progressCount + 1) });
		expect(JSON.parse(events.at(-1)!.data)).toMatchObject({ message: 'Training cancelled' });
		// Its listing stops where it was cancelled, on every instance.
		expect(cancelled).toMatchObject({ progress: PLAN.progressAt(progress.length) });
		expect(await a.jobs.cancel(created.id)).toBe('finished');
		// The cancel's jump to the terminal id is no event lost on the way.
		expect(a.bus.status().skipped).toBe(0);
	});

	it('goes on from its last event on another instance when its runner stops, with no gap', async () => {
		const b = instance();
		const events = await watchThroughTakeover(instance(), b, 3);
		expect(idsOf(events)).toEqual(WHOLE_JOB);
		// Its new runner gives the lease up once the job is complete.
		await waitFor('b to give up the lease', () => b.bus.status().leases.length === 0);
	});

	it('forgets a finished job after the TTL, on every instance', async () => {
		const a = instance({ ttlMs: 300 });
		const b = instance({ ttlMs: 300 });
		await ready(a, b);
		const created = await a.jobs.create({ ...OPTIONS, total_epochs: 1, steps_per_epoch: 1 });
		isJob(created);
		await watch(created).events();
		await waitFor('the job to be forgotten', async () => {
			const list = await b.jobs.list();
			return !('ok' in list) && list.length === 0;
		});
		// The mirror a watched job left on a is dropped by its scan: the id is unknown there too.
		await waitFor('a to forget it', async () => (await a.jobs.get(created.id)) === undefined);
	});

	it('answers 503 with Retry-After while Redis cannot be reached, and works again after', async () => {
		// A Redis of its own, so that the outage touches no other test.
		let own = await startRedis();
		try {
			const a = instance({ url: own.url });
			await ready(a);
			await own.stop();
			await waitFor('the bus to see the outage', () => a.bus.status().state !== 'ok');
			const failure = { ok: false, status: 503, headers: { 'retry-after': '2' } };
			expect(await a.jobs.create(OPTIONS)).toMatchObject(failure);
			expect(await a.jobs.list()).toMatchObject(failure);
			expect(await a.jobs.get('abcdefgh')).toMatchObject(failure);
			expect(await a.jobs.cancel('abcdefgh')).toMatchObject(failure);
			own = await startRedis({ port: own.port });
			await ready(a);
			const created = await a.jobs.create(OPTIONS);
			isJob(created);
			expect(idsOf(await watch(created).events())).toEqual(WHOLE_JOB);
		} finally {
			await own.stop();
		}
	});

	it("times a job on Redis's clock, wherever it was made and finished", async () => {
		const base = createClock();
		// Instance a's clock is an hour fast; b's is right.
		const fast: Clock = Object.assign(Object.create(base) as Clock, {
			now: () => base.now() + 3_600_000
		});
		const b = instance();
		const events = await watchThroughTakeover(instance({ clock: fast }), b, 2);
		expect(idsOf(events)).toEqual(WHOLE_JOB);
		const { duration_ms } = JSON.parse(events.at(-1)!.data) as { duration_ms: number };
		// The job's own schedule is the least it can take; an hour's skew would be far off.
		expect(duration_ms).toBeGreaterThan(0);
		expect(duration_ms).toBeLessThan(60_000);
		const listed = await b.jobs.list();
		if ('ok' in listed) throw new Error('no list');
		expect(Math.abs(Date.parse(listed[0]!.created_at) - Date.now())).toBeLessThan(60_000);
	});

	it('ends the streams of a job Redis lost and forgets it on every instance', async () => {
		const a = instance({ maxRunning: 1 });
		const b = instance({ maxRunning: 1 });
		await ready(a, b);
		const { created, onB } = await createdAndWatched(a, b, { ...OPTIONS, step_ms: 10_000 });
		expect(await b.jobs.create(OPTIONS)).toMatchObject({ status: 429 });
		// Redis restarts with no persistence: every key is gone.
		await withRawRedis((raw) => raw.flushDb());
		const events = await onB.events();
		expect(events.some((e) => e.event === 'complete' || e.event === 'cancelled')).toBe(false);
		await waitFor('b to forget it', async () => (await b.jobs.get(created.id)) === undefined);
		await waitFor('a to forget it', async () => (await a.jobs.get(created.id)) === undefined);
		// The flush emptied the running set too: new jobs start.
		isJob(await b.jobs.create(OPTIONS));
	});

	it('frees the place of a job whose hash cannot be read', async () => {
		const a = instance({ maxRunning: 1 });
		const b = instance({ maxRunning: 1 });
		await ready(a, b);
		const created = await a.jobs.create({ ...OPTIONS, step_ms: 10_000 });
		isJob(created);
		await withRawRedis((raw) => raw.hSet(`j${prefix}:job:${created.id}`, 'options', 'not json'));
		// Its runner goes away; b takes the job over, cannot read it, and drops it.
		a.jobs.dispose();
		await a.bus.close();
		await waitFor('a place to be free', async () => {
			const made = await b.jobs.create(OPTIONS);
			return !('ok' in made);
		});
	});

	it('frees the place of a running job whose hash lost its newest id', async () => {
		const a = instance({ maxRunning: 1 });
		await ready(a);
		const created = await a.jobs.create({ ...OPTIONS, step_ms: 100 });
		isJob(created);
		await withRawRedis((raw) => raw.hDel(`j${prefix}:job:${created.id}`, 'seq'));
		// The runner's next append cannot tell where the job stands: it drops the job.
		await waitFor('a place to be free', async () => !('ok' in (await a.jobs.create(OPTIONS))));
	});

	it("names jobs with the app's newJobId when the server backend keeps them in Redis", async () => {
		const bus = createRedisBus({ url: redis.url, prefix: `j${prefix}:`, onError: () => {} });
		let made = 0;
		const backend = createServerBackend({
			bus,
			config: readConfig({}),
			sampler: { latest: null, sample: () => Promise.reject(new Error('not read here')) },
			newJobId: () => `appjob${++made}x`
		});
		opened.push({ bus, jobs: backend.jobs });
		await ready({ bus });
		const first = await backend.jobs.create(OPTIONS);
		const second = await backend.jobs.create(OPTIONS);
		isJob(first);
		isJob(second);
		expect([first.id, second.id]).toEqual(['appjob1x', 'appjob2x']);
		// The id is the one in Redis: another instance finds the job by it.
		const other = instance();
		await ready(other);
		isJob(await other.jobs.get('appjob2x'));
	});
});
