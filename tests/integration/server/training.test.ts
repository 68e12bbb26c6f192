/**
 * Training jobs on the real built app: the whole timeline read with a real EventSource, resume
 * with Last-Event-ID (header and query), 204 once seen to the end, cancel, and the running cap.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrainingCreated, TrainingJobList, TrainingOptions } from '$lib/shared/contract';
import { trainingPlan } from '$lib/shared/training';
import {
	expectError,
	startApp,
	waitFor,
	watch,
	type App,
	type SeenEvent,
	type Watcher
} from './app';

let app: App;
const open: Watcher[] = [];
const TYPES = ['progress', 'complete', 'cancelled'];

beforeAll(async () => {
	// A short retry only makes the EventSource's own reconnect (the 204 test) quick.
	app = await startApp({ MAX_TRAINING_JOBS: '3', SSE_RETRY_MS: '200' });
});
afterAll(async () => {
	for (const watcher of open) watcher.close();
	await app?.close();
});

async function create(options: Partial<TrainingOptions>): Promise<TrainingCreated> {
	const response = await fetch(`${app.base}/api/training`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify(options)
	});
	expect(response.status).toBe(201);
	const created = (await response.json()) as TrainingCreated;
	expect(Object.keys(created).sort()).toEqual(['events', 'id']);
	expect(created.events).toBe(`/api/training/${created.id}/events`);
	expect(response.headers.get('location')).toBe(created.events);
	return created;
}

function tracked(path: string, lastEventId?: string): Watcher {
	const watcher = watch(`${app.base}${path}`, { types: TYPES, lastEventId });
	open.push(watcher);
	return watcher;
}

const ids = (events: SeenEvent[]) => events.map((e) => Number(e.lastEventId));
const range = (from: number, to: number) =>
	Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('a training job', () => {
	it('streams every progress event, then complete, then 204 stops the reconnect', async () => {
		const options = { total_epochs: 2, steps_per_epoch: 3, step_ms: 5, epoch_pause_ms: 10 };
		const plan = trainingPlan(options);
		const { events } = await create(options);
		const job = tracked(events);
		await job.until(1, 'complete');
		const progress = job.events.filter((e) => e.type === 'progress');
		expect(ids(progress)).toEqual(range(1, 6));
		expect(progress.map((e) => JSON.parse(e.data))).toEqual(
			range(1, 6).map((seq) => plan.progressAt(seq))
		);
		const complete = job.events.at(-1)!;
		expect(complete.lastEventId).toBe('7');
		expect(JSON.parse(complete.data)).toMatchObject({
			message: 'Training complete!',
			final_loss: 0.1
		});
		// The stream ends; the EventSource reconnects with Last-Event-ID 7 and is told to stop.
		await waitFor('the 204', () => job.errors.some((e) => e.code === 204));
		expect(job.source.readyState).toBe(job.source.CLOSED);
		expect(job.events).toHaveLength(7);
	});

	it.each([
		['the Last-Event-ID header', 'header'],
		['the lastEventId query parameter', 'query']
	])('resumes with %s: every missed event once, up to complete', async (_name, how) => {
		const { events } = await create({
			total_epochs: 1,
			steps_per_epoch: 12,
			step_ms: 60,
			epoch_pause_ms: 0
		});
		const first = tracked(events);
		await first.until(3, 'progress');
		first.close();
		const from = Number(first.events.at(-1)!.lastEventId);
		const resumed =
			how === 'header' ? tracked(events, String(from)) : tracked(`${events}?lastEventId=${from}`);
		await resumed.until(1, 'complete');
		expect(ids(resumed.events)).toEqual(range(from + 1, 13));
		expect(resumed.events.at(-1)!.type).toBe('complete');
	});

	it('replays from the first event without an id, and from the newest for an unknown id', async () => {
		const { events } = await create({
			total_epochs: 1,
			steps_per_epoch: 3,
			step_ms: 1,
			epoch_pause_ms: 0
		});
		const whole = tracked(events);
		await whole.until(1, 'complete');
		whole.close();
		expect(ids(whole.events)).toEqual(range(1, 4));
		const again = tracked(events);
		await again.until(1, 'complete');
		again.close();
		expect(ids(again.events)).toEqual(range(1, 4));
		const unknown = tracked(events, 'not-an-id');
		await unknown.until(1, 'complete');
		unknown.close();
		expect(unknown.events.map((e) => e.type)).toContain('complete');
		const answer = await fetch(`${app.base}${events}`, { headers: { 'last-event-id': '4' } });
		expect(answer.status).toBe(204);
		expect(await answer.text()).toBe('');
		expect((await fetch(`${app.base}${events}?lastEventId=4`)).status).toBe(204);
	});

	it('cancels a running job (202), ends its stream with cancelled, then 409', async () => {
		const { id, events } = await create({ total_epochs: 1, steps_per_epoch: 10, step_ms: 10_000 });
		const job = tracked(events);
		await waitFor('the stream to open', () => job.opened > 0);
		const cancel = await fetch(`${app.base}/api/training/${id}`, { method: 'DELETE' });
		expect(cancel.status).toBe(202);
		expect(await cancel.json()).toMatchObject({ id, state: 'cancelled', progress: null, events });
		const [cancelled] = await job.until(1, 'cancelled');
		expect(cancelled!.lastEventId).toBe('11');
		expect(JSON.parse(cancelled!.data)).toMatchObject({ message: expect.any(String) });
		await waitFor('the 204', () => job.errors.some((e) => e.code === 204));
		const again = await fetch(`${app.base}/api/training/${id}`, { method: 'DELETE' });
		await expectError(again, 409, 'already_finished');
		const list = (await (await fetch(`${app.base}/api/training`)).json()) as TrainingJobList;
		expect(list.jobs.find((j) => j.id === id)).toMatchObject({
			state: 'cancelled',
			progress: null,
			events
		});
		// A late reader gets the job as it happened: straight to cancelled.
		const late = tracked(events);
		await late.until(1, 'cancelled');
		expect(late.events.map((e) => [e.type, e.lastEventId])).toEqual([['cancelled', '11']]);
	});

	it('caps running jobs with 429 and Retry-After; a finished one frees its place', async () => {
		const slow = { total_epochs: 1, steps_per_epoch: 10, step_ms: 10_000 };
		const jobs = [await create(slow), await create(slow), await create(slow)];
		const refused = await fetch(`${app.base}/api/training`, { method: 'POST' });
		expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
		await expectError(refused, 429, 'too_many_jobs');
		expect(
			(await fetch(`${app.base}/api/training/${jobs[0]!.id}`, { method: 'DELETE' })).status
		).toBe(202);
		jobs.push(await create(slow));
		const list = (await (await fetch(`${app.base}/api/training`)).json()) as TrainingJobList;
		expect(list.jobs.filter((j) => j.state === 'running')).toHaveLength(3);
		for (const job of jobs.slice(1)) {
			expect((await fetch(`${app.base}/api/training/${job.id}`, { method: 'DELETE' })).status).toBe(
				202
			);
		}
	});
});
