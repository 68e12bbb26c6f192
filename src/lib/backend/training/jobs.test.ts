import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { trainingPlan } from '$lib/shared/training';
import type { TrainingOptions } from '$lib/shared/contract';
import { SseConnection } from '../sse/connection';
import { collect } from '../testing';
import { createClock, type Clock } from '../timers';
import { JobEvents, JobStore, TrainingJob } from './jobs';

const OPTIONS: TrainingOptions = {
	total_epochs: 2,
	steps_per_epoch: 3,
	step_ms: 10,
	epoch_pause_ms: 100
};
// 6 steps of 10 ms, the pause before epoch 2, and the pause after the last epoch.
const TOTAL_MS = 6 * 10 + 100 + 100;

let clock: Clock;
beforeEach(() => {
	vi.useFakeTimers({ now: 0 });
	clock = createClock();
});
afterEach(() => {
	vi.useRealTimers();
});

function newJob(onFinish = vi.fn()) {
	return new TrainingJob('job00001', trainingPlan(OPTIONS), clock, onFinish);
}

function watch(job: JobEvents, lastEventId: number | null = null) {
	const onClose = vi.fn();
	const connection = new SseConnection({ maxBufferBytes: 1 << 20, onClose });
	const reader = collect(connection.stream);
	const leave = job.join(connection, lastEventId);
	return { connection, reader, onClose, leave };
}

describe('TrainingJob', () => {
	it('runs the plan on its timers and completes after it, then closes its streams', async () => {
		const onFinish = vi.fn();
		const job = newJob(onFinish);
		const { reader, onClose } = watch(job);
		await vi.advanceTimersByTimeAsync(TOTAL_MS - 1);
		expect(job.state).toBe('running');
		expect(job.seq).toBe(6);
		await vi.advanceTimersByTimeAsync(1);
		expect(job.state).toBe('complete');
		expect(onFinish).toHaveBeenCalledExactlyOnceWith(job);
		const events = await reader.events();
		expect(events.map((e) => [e.id, e.event])).toEqual([
			['1', 'progress'],
			['2', 'progress'],
			['3', 'progress'],
			['4', 'progress'],
			['5', 'progress'],
			['6', 'progress'],
			['7', 'complete']
		]);
		expect(JSON.parse(events[3]!.data)).toEqual(trainingPlan(OPTIONS).progressAt(4));
		expect(JSON.parse(events[6]!.data)).toEqual({
			message: 'Training complete!',
			final_loss: 0.1,
			duration_ms: TOTAL_MS
		});
		expect(onClose).toHaveBeenCalledExactlyOnceWith('end');
		expect(reader.ended).toBe(true);
		expect(clock.active).toBe(0);
	});

	it('keeps the epoch pause: event 4 comes 100 ms after event 3, plus its step', async () => {
		const job = newJob();
		await vi.advanceTimersByTimeAsync(30);
		expect(job.seq).toBe(3);
		await vi.advanceTimersByTimeAsync(109);
		expect(job.seq).toBe(3);
		await vi.advanceTimersByTimeAsync(1);
		expect(job.seq).toBe(4);
		expect(job.progress).toMatchObject({ epoch: 2, step: 1 });
	});

	it('cancels a running job with a cancelled event, once', async () => {
		const onFinish = vi.fn();
		const job = newJob(onFinish);
		const { reader, onClose } = watch(job);
		await vi.advanceTimersByTimeAsync(25);
		expect(job.cancel()).toBe(true);
		expect(job.cancel()).toBe(false);
		expect(job.state).toBe('cancelled');
		const events = await reader.events();
		expect(events.map((e) => e.event)).toEqual(['progress', 'progress', 'cancelled']);
		expect(events.at(-1)).toMatchObject({ id: '7' });
		expect(JSON.parse(events.at(-1)!.data)).toEqual({
			message: 'Training cancelled',
			duration_ms: 25
		});
		expect(onClose).toHaveBeenCalledExactlyOnceWith('end');
		expect(onFinish).toHaveBeenCalledTimes(1);
		expect(clock.active).toBe(0);
		await vi.advanceTimersByTimeAsync(TOTAL_MS);
		expect(job.seq).toBe(7);
		// Its progress is where it stopped, not the plan's end.
		expect(job.progress).toMatchObject({ epoch: 1, step: 2 });
		expect(job.info()).toMatchObject({ state: 'cancelled', progress: { step: 2 } });
	});

	it('replays a cancelled job as it happened: no progress after the cancel', async () => {
		const job = newJob();
		await vi.advanceTimersByTimeAsync(25);
		job.cancel();
		const late = watch(job, null);
		expect((await late.reader.events()).map((e) => [e.id, e.event])).toEqual([
			['1', 'progress'],
			['2', 'progress'],
			['7', 'cancelled']
		]);
		const resumed = watch(job, 1);
		expect((await resumed.reader.events()).map((e) => e.id)).toEqual(['2', '7']);
		const atCancel = watch(job, 2);
		expect((await atCancel.reader.events()).map((e) => e.id)).toEqual(['7']);
		expect(job.isSeenToEnd(7)).toBe(true);
	});

	it('has no progress when cancelled before its first step', () => {
		const job = newJob();
		job.cancel();
		expect(job.progress).toBeNull();
	});

	it('replays from Last-Event-ID, then goes live, without gap or duplicate', async () => {
		const job = newJob();
		await vi.advanceTimersByTimeAsync(30);
		const { reader } = watch(job, 1);
		await vi.advanceTimersByTimeAsync(TOTAL_MS);
		expect((await reader.events()).map((e) => e.id)).toEqual(['2', '3', '4', '5', '6', '7']);
	});

	it('sends the newest event for an id it never issued, and replays a finished job', async () => {
		const job = newJob();
		await vi.advanceTimersByTimeAsync(30);
		const unknown = watch(job, 99);
		expect((await unknown.reader.events()).map((e) => e.id)).toEqual(['3']);
		await vi.advanceTimersByTimeAsync(TOTAL_MS);
		const late = watch(job, null);
		expect((await late.reader.events()).map((e) => e.id)).toEqual([
			'1',
			'2',
			'3',
			'4',
			'5',
			'6',
			'7'
		]);
		expect(late.onClose).toHaveBeenCalledExactlyOnceWith('end');
	});

	it('tells when a client has seen a finished job to the end (the 204 case)', async () => {
		const job = newJob();
		expect(job.isSeenToEnd(null)).toBe(false);
		await vi.advanceTimersByTimeAsync(60);
		expect(job.isSeenToEnd(6)).toBe(false);
		await vi.advanceTimersByTimeAsync(TOTAL_MS);
		expect(job.isSeenToEnd(7)).toBe(true);
		expect(job.isSeenToEnd(6)).toBe(false);
		expect(job.isSeenToEnd(null)).toBe(false);
	});

	it('lists its info with the last progress', async () => {
		const job = newJob();
		expect(job.info()).toEqual({
			id: 'job00001',
			state: 'running',
			created_at: '1970-01-01T00:00:00.000Z',
			progress: null,
			events: '/api/training/job00001/events'
		});
		await vi.advanceTimersByTimeAsync(20);
		expect(job.info().progress).toMatchObject({ epoch: 1, step: 2 });
	});
});

describe('JobStore', () => {
	const ids = () => {
		let n = 0;
		return () => `job${String(++n).padStart(5, '0')}`;
	};

	it('caps running jobs with 429 and Retry-After; finished ones do not count', async () => {
		const store = new JobStore({ maxRunning: 2, ttlMs: 60_000 }, clock, ids());
		const a = store.create(OPTIONS);
		store.create(OPTIONS);
		const refused = store.create(OPTIONS);
		expect(refused).toMatchObject({
			ok: false,
			status: 429,
			headers: { 'retry-after': '5' },
			body: { error: { code: 'too_many_jobs' } }
		});
		expect(store.running).toBe(2);
		if (!(a instanceof TrainingJob)) throw new Error('job a was refused');
		a.cancel();
		expect(store.create(OPTIONS)).toBeInstanceOf(TrainingJob);
		expect(store.countByState()).toEqual({ running: 2, complete: 0, cancelled: 1 });
	});

	it('forgets a finished job after the TTL, and arms a timer only for finished jobs', async () => {
		const store = new JobStore({ maxRunning: 8, ttlMs: 1000 }, clock, ids());
		const job = store.create(OPTIONS);
		if (!(job instanceof TrainingJob)) throw new Error('refused');
		expect(clock.active).toBe(1);
		await vi.advanceTimersByTimeAsync(TOTAL_MS);
		expect(job.state).toBe('complete');
		expect(clock.active).toBe(1);
		expect(store.get(job.id)).toBe(job);
		await vi.advanceTimersByTimeAsync(999);
		expect(store.list()).toEqual([job.info()]);
		await vi.advanceTimersByTimeAsync(1);
		expect(store.get(job.id)).toBeUndefined();
		expect(store.list()).toEqual([]);
		expect(clock.active).toBe(0);
	});

	it('disposes every timer on shutdown', async () => {
		const store = new JobStore({ maxRunning: 8, ttlMs: 1000 }, clock, ids());
		store.create(OPTIONS);
		const done = store.create({ ...OPTIONS, total_epochs: 1, steps_per_epoch: 1 });
		if (!(done instanceof TrainingJob)) throw new Error('refused');
		await vi.advanceTimersByTimeAsync(150);
		expect(done.state).toBe('complete');
		expect(clock.active).toBe(2);
		store.dispose();
		expect(clock.active).toBe(0);
	});
});

describe('JobEvents (a job driven from elsewhere)', () => {
	const plan = trainingPlan(OPTIONS);
	const progress = (id: number) => ({ id, event: 'progress' as const, data: plan.progressAt(id) });

	it('fills a jump in progress from the plan, so a live client sees no gap, and ignores repeats', async () => {
		const job = new JobEvents('job00001', plan, 0);
		const { reader } = watch(job);
		job.apply(progress(1));
		job.apply(progress(4));
		job.apply(progress(2));
		job.apply(progress(4));
		expect(job.seq).toBe(4);
		job.apply({ id: 7, event: 'complete', data: plan.complete(160) });
		job.apply(progress(5));
		expect(job.state).toBe('complete');
		expect((await reader.events()).map((e) => [e.id, e.event])).toEqual([
			['1', 'progress'],
			['2', 'progress'],
			['3', 'progress'],
			['4', 'progress'],
			['7', 'complete']
		]);
	});

	it('restores a job that ran elsewhere: replays what it sent, then goes on live', async () => {
		const job = new JobEvents('job00001', plan, 0);
		job.restore(3, null);
		expect(job.info()).toMatchObject({ state: 'running', progress: { epoch: 1, step: 3 } });
		const { reader } = watch(job, 1);
		job.apply(progress(4));
		job.apply({
			id: 7,
			event: 'cancelled',
			data: { message: 'Training cancelled', duration_ms: 5 }
		});
		expect((await reader.events()).map((e) => e.id)).toEqual(['2', '3', '4', '7']);
	});

	it('restores a finished job with its terminal event', async () => {
		const job = new JobEvents('job00001', plan, 0);
		job.restore(2, {
			id: 7,
			event: 'cancelled',
			data: { message: 'Training cancelled', duration_ms: 5 }
		});
		expect(job.state).toBe('cancelled');
		expect(job.isSeenToEnd(7)).toBe(true);
		expect(job.progress).toMatchObject({ step: 2 });
		const { reader, onClose } = watch(job);
		expect((await reader.events()).map((e) => [e.id, e.event])).toEqual([
			['1', 'progress'],
			['2', 'progress'],
			['7', 'cancelled']
		]);
		expect(onClose).toHaveBeenCalledExactlyOnceWith('end');
	});

	it('names the event that follows in the plan', () => {
		const job = new JobEvents('job00001', plan, 1000);
		expect(job.nextEvent(1010)).toEqual(progress(1));
		job.restore(6, null);
		expect(job.nextEvent(1260)).toEqual({ id: 7, event: 'complete', data: plan.complete(260) });
		expect(job.cancelEvent(1100)).toEqual({
			id: 7,
			event: 'cancelled',
			data: { message: 'Training cancelled', duration_ms: 100 }
		});
	});
});

describe('JobStore.cancel', () => {
	it('answers the entry after a cancel, finished for a finished job, undefined for an unknown id', async () => {
		const store = new JobStore({ maxRunning: 8, ttlMs: 60_000 }, clock, () => 'job00001');
		const job = store.create(OPTIONS);
		if (!(job instanceof TrainingJob)) throw new Error('refused');
		await vi.advanceTimersByTimeAsync(20);
		expect(store.cancel('job00001')).toMatchObject({ state: 'cancelled', progress: { step: 2 } });
		expect(store.cancel('job00001')).toBe('finished');
		expect(store.cancel('nosuchjob')).toBeUndefined();
	});
});
