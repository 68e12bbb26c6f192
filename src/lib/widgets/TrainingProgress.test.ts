// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { HttpResponse, http } from 'msw';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTraining, trainingJob } from '$lib/client';
import { createMockServer, type MockServer } from '$lib/mocks/node';
import TrainingProgress from './TrainingProgress.svelte';
import { TEST_BASE, apiError, controlledStream } from './testing';

let mock: MockServer;
beforeAll(() => (mock = createMockServer({ seed: 4 })));
afterEach(() => {
	cleanup();
	mock.server.resetHandlers();
	mock.setScenario('normal');
});
afterAll(() => mock.close());

const startButton = () =>
	screen.getByRole('button', { name: /Start training|Training…|Starting…/ });
const overall = () => screen.getByRole('progressbar', { name: 'Overall' });
const status = () => screen.getByTestId('training-status').textContent;

/** A job whose events the test sends one by one: what it sees never depends on a timer's speed. */
function scriptedJob(id = 'script01') {
	const stream = controlledStream();
	const posted: unknown[] = [];
	mock.server.use(
		http.post(`${TEST_BASE}/api/training`, async ({ request }) => {
			posted.push(await request.json());
			return HttpResponse.json({ id, events: `/api/training/${id}/events` }, { status: 201 });
		}),
		http.get(`${TEST_BASE}/api/training/${id}/events`, () => stream.response())
	);
	let seq = 0;
	const progress = (epoch: number, step: number, total = 2, steps = 10) =>
		stream.send({
			event: 'progress',
			id: ++seq,
			data: {
				epoch,
				total_epochs: total,
				step,
				steps_per_epoch: steps,
				progress_percent: (step / steps) * 100,
				overall_percent: (((epoch - 1) * steps + step) / (total * steps)) * 100,
				loss: Number(((1 / epoch) * (1 - step / steps) + 0.1).toFixed(4))
			}
		});
	const complete = () => {
		stream.send({
			event: 'complete',
			id: ++seq,
			data: { message: 'Training complete!', final_loss: 0.1, duration_ms: 1234 }
		});
		stream.end();
	};
	return { posted, progress, complete, requests: () => stream.requests };
}

describe('TrainingProgress', () => {
	it('waits for a start when no job runs', async () => {
		render(TrainingProgress, { props: { baseUrl: TEST_BASE } });
		expect(screen.getByTestId('training-status').textContent).toContain('No job running');
		expect((startButton() as HTMLButtonElement).disabled).toBe(false);
		expect(overall().hasAttribute('aria-valuenow')).toBe(false);
	});

	it('runs a job to "Training complete!", button disabled while it runs', async () => {
		const job = scriptedJob();
		render(TrainingProgress, {
			props: { baseUrl: TEST_BASE, resume: false, stepMs: 15, epochPauseMs: 0 }
		});
		await fireEvent.input(screen.getByLabelText('Epochs'), { target: { value: '2' } });
		await fireEvent.input(screen.getByLabelText('Steps per epoch'), { target: { value: '10' } });
		await fireEvent.click(startButton());
		await waitFor(() => expect(job.requests()).toBe(1));
		expect(status()).toContain('Connecting to the job');
		expect(job.posted).toEqual([
			{ total_epochs: 2, steps_per_epoch: 10, step_ms: 15, epoch_pause_ms: 0 }
		]);
		job.progress(1, 5);
		await waitFor(() => expect(overall().getAttribute('aria-valuenow')).toBe('25'));
		expect((startButton() as HTMLButtonElement).disabled).toBe(true);
		expect(screen.getByRole('button', { name: 'Cancel' })).toBeTruthy();
		job.progress(2, 10);
		job.complete();
		await waitFor(() => expect(status()).toContain('Training complete!'));
		expect(overall().getAttribute('aria-valuenow')).toBe('100');
		expect(screen.getByRole('progressbar', { name: 'Epoch 2 / 2' })).toBeTruthy();
		expect(screen.getByTestId('training-loss').textContent?.trim()).toBe('0.1000');
		expect((startButton() as HTMLButtonElement).disabled).toBe(false);
		expect(screen.queryByRole('button', { name: 'Cancel' })).toBeNull();
	});

	it('cancels a running job', async () => {
		render(TrainingProgress, { props: { baseUrl: TEST_BASE, resume: false, stepMs: 50 } });
		await fireEvent.click(startButton());
		const cancel = await screen.findByRole('button', { name: 'Cancel' });
		await waitFor(() => expect(overall().getAttribute('aria-valuenow')).not.toBeNull());
		await fireEvent.click(cancel);
		await waitFor(() =>
			expect(screen.getByTestId('training-status').textContent).toContain('Training cancelled')
		);
	});

	it('resumes the running job it finds in the job list', async () => {
		const job = await startTraining({ baseUrl: TEST_BASE, step_ms: 50 });
		render(TrainingProgress, { props: { baseUrl: TEST_BASE } });
		const label = await screen.findByTestId('training-job-id');
		expect(label.dataset.jobId).toBe(job.id);
		expect(label.textContent).toContain(`resumed job ${job.id.slice(0, 8)}`);
		await waitFor(() => expect(Number(overall().getAttribute('aria-valuenow'))).toBeGreaterThan(0));
		await fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
		await waitFor(() =>
			expect(screen.getByTestId('training-status').textContent).toContain('Training cancelled')
		);
	});

	it('reports a job it cannot start', async () => {
		mock.server.use(
			http.post(`${TEST_BASE}/api/training`, () =>
				apiError(429, 'too_many_jobs', 'at most 8 training jobs may run at once')
			)
		);
		render(TrainingProgress, { props: { baseUrl: TEST_BASE, resume: false } });
		await fireEvent.click(startButton());
		expect((await screen.findByRole('alert')).textContent).toContain(
			'at most 8 training jobs may run at once'
		);
	});

	it('says when the job is lost (a fatal answer)', async () => {
		const job = trainingJob('no-such-job', { baseUrl: TEST_BASE });
		render(TrainingProgress, { props: { baseUrl: TEST_BASE, job } });
		await waitFor(() =>
			expect(screen.getByTestId('training-status').textContent).toContain('Lost the job: HTTP 404')
		);
		expect((startButton() as HTMLButtonElement).disabled).toBe(false);
	});

	it('announces the end at once in a polite live region', async () => {
		const job = scriptedJob();
		const { container } = render(TrainingProgress, {
			props: { baseUrl: TEST_BASE, resume: false, epochs: 1, stepsPerEpoch: 3 }
		});
		await fireEvent.click(startButton());
		await waitFor(() => expect(job.requests()).toBe(1));
		// The card's own region (the connection badge has one too, while the job runs).
		const region = container.querySelector('section > [aria-live="polite"]');
		job.progress(1, 1, 1, 3);
		// waitFor gives up after 1 s, well within announceEveryMs (5 s): the end is not held back.
		job.progress(1, 3, 1, 3);
		job.complete();
		await waitFor(() => expect(region?.textContent).toContain('Training complete!'));
	});
});
