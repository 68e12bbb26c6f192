import { flushSync } from 'svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { trainingJob } from '$lib/client';
import { createFakeEventSource, type FakeEventSourceKit } from '$lib/client/testing';
import type { TrainingJobInfo, TrainingProgress } from '$lib/shared/contract';
import { manualFrames } from './testing';
import { TrainingSession, type TrainingSessionOptions } from './training-session.svelte';

const BASE = 'http://feeds.test';

/** A REST backend answered by the test: every call is recorded. */
function fakeApi() {
	const calls: { method: string; url: string; body: unknown }[] = [];
	let jobs: TrainingJobInfo[] = [];
	let startAnswer: () => Response = () =>
		Response.json({ id: 'job00001', events: '/api/training/job00001/events' }, { status: 201 });
	let cancelAnswer: () => Response = () => new Response(null, { status: 202 });
	const fetch = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
		const method = init?.method ?? 'GET';
		const url = String(input);
		const body = typeof init?.body === 'string' ? (JSON.parse(init.body) as unknown) : undefined;
		calls.push({ method, url, body });
		if (method === 'POST') return startAnswer();
		if (method === 'DELETE') return cancelAnswer();
		return Response.json({ jobs });
	}) as unknown as typeof globalThis.fetch;
	return {
		fetch,
		calls,
		setJobs: (next: TrainingJobInfo[]) => (jobs = next),
		answerStart: (answer: () => Response) => (startAnswer = answer),
		answerCancel: (answer: () => Response) => (cancelAnswer = answer)
	};
}

const apiError = (status: number, code: string, message: string) =>
	Response.json({ error: { code, message } }, { status });

function progress(step: number, overrides: Partial<TrainingProgress> = {}): TrainingProgress {
	return {
		epoch: 1,
		total_epochs: 2,
		step,
		steps_per_epoch: 10,
		progress_percent: step * 10,
		overall_percent: step * 5,
		loss: 1 - step / 100,
		...overrides
	};
}

function runningJob(id: string, createdAt: string): TrainingJobInfo {
	return { id, state: 'running', created_at: createdAt, progress: null, events: '' };
}

let kit: FakeEventSourceKit;
let frames: ReturnType<typeof manualFrames>;
let api: ReturnType<typeof fakeApi>;
let said: [string, boolean][];
const stops: (() => void)[] = [];

function session(options: TrainingSessionOptions = {}) {
	return new TrainingSession({
		baseUrl: BASE,
		fetch: api.fetch,
		EventSource: kit.EventSource,
		lifecycle: { subscribe: () => () => {} },
		frames: frames.scheduler,
		announce: (message, urgent) => said.push([message, urgent]),
		...options
	});
}

/** Lets the fake fetch's promises settle (no timer moves). */
async function settle(): Promise<void> {
	for (let round = 0; round < 10; round += 1) await Promise.resolve();
	flushSync();
}

beforeEach(() => {
	vi.useFakeTimers({ now: 1_000_000 });
	kit = createFakeEventSource();
	frames = manualFrames();
	api = fakeApi();
	said = [];
});

afterEach(() => {
	stops.splice(0).forEach((stop) => stop());
	vi.useRealTimers();
});

describe('TrainingSession', () => {
	it('starts idle, with the server defaults in the inputs, and connects nothing before attach', () => {
		const idle = session();
		expect(idle.phase).toBe('idle');
		expect([idle.epochs, idle.steps]).toEqual([10, 100]);
		expect(kit.instances).toHaveLength(0);
		expect(api.calls).toEqual([]);
	});

	it('starts a job with the inputs clamped to the contract limits, and follows its stream', async () => {
		const training = session({ stepMs: 15, epochPauseMs: 0 });
		stops.push(training.attach());
		training.epochs = 1000;
		training.steps = 2.6;
		await training.start();
		await settle();
		expect([training.epochs, training.steps]).toEqual([100, 3]);
		expect(api.calls).toEqual([
			{
				method: 'POST',
				url: `${BASE}/api/training`,
				body: { total_epochs: 100, steps_per_epoch: 3, step_ms: 15, epoch_pause_ms: 0 }
			}
		]);
		expect(training.phase).toBe('connecting');
		expect(training.running).toBe(true);
		expect(kit.last().url).toBe(`${BASE}/api/training/job00001/events`);
		expect(training.job?.id).toBe('job00001');
	});

	it('applies progress once per frame but keeps every loss for the curve', async () => {
		const training = session({ job: trainingJob('job00002', { EventSource: kit.EventSource }) });
		stops.push(training.attach());
		kit.last().open();
		kit.last().send('progress', progress(1), '1');
		expect(training.progress?.step).toBe(1);
		expect(training.phase).toBe('running');
		for (let step = 2; step <= 5; step += 1) kit.last().send('progress', progress(step), `${step}`);
		expect(training.progress?.step).toBe(1);
		frames.frame();
		expect(training.progress?.step).toBe(5);
		expect(training.losses).toEqual([0.99, 0.98, 0.97, 0.96, 0.95]);
		expect(said.at(-1)).toEqual(['Epoch 1 of 2, 25% done', false]);
	});

	it('ends with "Training complete!", flushing the held progress and saying it at once', async () => {
		const training = session({ job: trainingJob('job00003', { EventSource: kit.EventSource }) });
		stops.push(training.attach());
		kit.last().open();
		kit.last().send('progress', progress(9), '1');
		kit.last().send('progress', progress(10, { overall_percent: 100 }), '2');
		kit
			.last()
			.send('complete', { message: 'Training complete!', final_loss: 0.1, duration_ms: 25 }, '3');
		expect(training.progress?.step).toBe(10);
		expect(training.phase).toBe('complete');
		expect(training.running).toBe(false);
		expect(said.at(-1)).toEqual(['Training complete! Final loss 0.1000', true]);
		expect(kit.last().closed).toBe(true);
	});

	it('cancels a running job, ignores "already finished" and reports other failures', async () => {
		const training = session({ job: trainingJob('job00004', { EventSource: kit.EventSource }) });
		stops.push(training.attach());
		kit.last().open();
		await training.cancel();
		expect(api.calls.at(-1)).toMatchObject({
			method: 'DELETE',
			url: `${BASE}/api/training/job00004`
		});
		api.answerCancel(() => apiError(409, 'already_finished', 'the job has finished'));
		await training.cancel();
		expect(training.error).toBeNull();
		api.answerCancel(() => apiError(404, 'not_found', 'no such job'));
		await training.cancel();
		expect(training.error).toBe(
			'Could not cancel: LiveFeeds: DELETE /api/training/job00004: no such job'
		);
		kit.last().send('cancelled', { message: 'cancelled', duration_ms: 9 }, '2');
		expect(training.phase).toBe('cancelled');
		expect(said.at(-1)).toEqual(['Training cancelled', true]);
	});

	it('reports a job it cannot start, and is ready to try again', async () => {
		api.answerStart(() =>
			apiError(429, 'too_many_jobs', 'at most 8 training jobs may run at once')
		);
		const training = session();
		stops.push(training.attach());
		const started = training.start();
		expect(training.starting).toBe(true);
		await started;
		expect(training.error).toContain('at most 8 training jobs may run at once');
		expect(training.starting).toBe(false);
		expect(training.phase).toBe('idle');
	});

	it('ignores a second start while one is on its way or a job runs', async () => {
		const training = session();
		stops.push(training.attach());
		const first = training.start();
		await training.start();
		await first;
		await training.start();
		expect(api.calls.filter((call) => call.method === 'POST')).toHaveLength(1);
	});

	it('resumes the newest running job on attach, marked resumed', async () => {
		api.setJobs([
			runningJob('older001', '2026-12-02T10:00:00.000Z'),
			{ ...runningJob('done0001', '2026-12-02T12:00:00.000Z'), state: 'complete' },
			runningJob('newer001', '2026-12-02T11:00:00.000Z')
		]);
		const training = session();
		stops.push(training.attach({ resume: true }));
		await settle();
		expect(training.job?.id).toBe('newer001');
		expect(training.resumed).toBe(true);
		expect(kit.last().url).toBe(`${BASE}/api/training/newer001/events`);
	});

	it('does not resume after being detached, nor over a job it already shows', async () => {
		api.setJobs([runningJob('late0001', '2026-12-02T10:00:00.000Z')]);
		const detached = session();
		detached.attach({ resume: true })();
		await settle();
		expect(detached.job).toBeNull();
		api.calls.length = 0;

		const shown = trainingJob('mine0001', { EventSource: kit.EventSource });
		const busy = session({ job: shown });
		stops.push(busy.attach({ resume: true }));
		await settle();
		expect(busy.job).toBe(shown);
		expect(api.calls).toEqual([]);
	});

	it('says the job is lost when its stream ends with a fatal answer', async () => {
		const training = session({ job: trainingJob('gone0001', { EventSource: kit.EventSource }) });
		stops.push(training.attach());
		kit.last().fail(404);
		expect(training.phase).toBe('failed');
		expect(training.connection?.lastError?.message).toBe('HTTP 404');
		expect(training.running).toBe(false);
	});

	it('stops following the job when detached', async () => {
		const training = session({ job: trainingJob('job00005', { EventSource: kit.EventSource }) });
		const detach = training.attach();
		kit.last().open();
		detach();
		expect(kit.last().closed).toBe(true);
	});
});
