import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LiveFeedsError } from './errors';
import { createFakeEventSource } from './testing';
import { cancelTraining, listTrainingJobs, startTraining } from './training';

const BASE = 'http://api.test';
const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

describe('startTraining', () => {
	it('posts only the job settings and returns the job source, not yet connected', async () => {
		let body: unknown;
		server.use(
			http.post(`${BASE}/api/training`, async ({ request }) => {
				body = await request.json();
				return HttpResponse.json({ id: 'j7', events: '/api/training/j7/events' }, { status: 201 });
			})
		);
		const kit = createFakeEventSource();
		const job = await startTraining({
			baseUrl: BASE,
			total_epochs: 3,
			step_ms: 5,
			EventSource: kit.EventSource
		});
		expect(body).toEqual({ total_epochs: 3, step_ms: 5 });
		expect(job.id).toBe('j7');
		expect(kit.instances).toHaveLength(0);
		const stop = job.subscribe(() => {});
		expect(kit.last().url).toBe(`${BASE}/api/training/j7/events`);
		stop();
	});

	it('turns a contract error answer into a LiveFeedsError with status and code', async () => {
		server.use(
			http.post(`${BASE}/api/training`, () =>
				HttpResponse.json(
					{ error: { code: 'too_many_jobs', message: 'at most 8 running jobs' } },
					{ status: 429, headers: { 'retry-after': '5' } }
				)
			)
		);
		const error = await startTraining({ baseUrl: BASE }).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(LiveFeedsError);
		expect(error).toMatchObject({
			name: 'LiveFeedsError',
			status: 429,
			code: 'too_many_jobs',
			message: 'LiveFeeds: POST /api/training: at most 8 running jobs'
		});
	});
});

describe('listTrainingJobs and cancelTraining', () => {
	it('lists the jobs', async () => {
		const jobs = [
			{
				id: 'a',
				state: 'running',
				created_at: 'now',
				progress: null,
				events: '/api/training/a/events'
			}
		];
		server.use(http.get(`${BASE}/api/training`, () => HttpResponse.json({ jobs })));
		expect(await listTrainingJobs({ baseUrl: BASE })).toEqual(jobs);
	});

	it('cancels a job, and reports a finished one as already_finished', async () => {
		const cancelled: string[] = [];
		server.use(
			http.delete(`${BASE}/api/training/:id`, ({ params }) => {
				if (params.id === 'done') {
					return HttpResponse.json(
						{ error: { code: 'already_finished', message: "job 'done' has finished" } },
						{ status: 409 }
					);
				}
				cancelled.push(String(params.id));
				return HttpResponse.json({ id: params.id, state: 'cancelled' }, { status: 202 });
			})
		);
		await cancelTraining('run', { baseUrl: BASE });
		expect(cancelled).toEqual(['run']);
		await expect(cancelTraining('done', { baseUrl: BASE })).rejects.toMatchObject({
			status: 409,
			code: 'already_finished'
		});
	});

	it('reports a non-contract answer as http_error and no answer as network', async () => {
		server.use(
			http.get(
				`${BASE}/api/training`,
				() => new HttpResponse('<h1>Bad gateway</h1>', { status: 502 })
			)
		);
		await expect(listTrainingJobs({ baseUrl: BASE })).rejects.toMatchObject({
			status: 502,
			code: 'http_error'
		});
		server.use(http.get(`${BASE}/api/training`, () => HttpResponse.error()));
		await expect(listTrainingJobs({ baseUrl: BASE })).rejects.toMatchObject({
			status: null,
			code: 'network',
			message: 'LiveFeeds: GET /api/training got no answer'
		});
	});
});
