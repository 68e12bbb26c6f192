// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { http } from 'msw';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTraining, trainingJob } from '$lib/client';
import { createMockServer, type MockServer } from '$lib/mocks/node';
import TrainingProgress from './TrainingProgress.svelte';
import { TEST_BASE, apiError } from './testing';

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

describe('TrainingProgress', () => {
	it('waits for a start when no job runs', async () => {
		render(TrainingProgress, { props: { baseUrl: TEST_BASE } });
		expect(screen.getByTestId('training-status').textContent).toContain('No job running');
		expect((startButton() as HTMLButtonElement).disabled).toBe(false);
		expect(overall().hasAttribute('aria-valuenow')).toBe(false);
	});

	it('runs a job to "Training complete!", button disabled while it runs', async () => {
		render(TrainingProgress, {
			props: { baseUrl: TEST_BASE, resume: false, stepMs: 15, epochPauseMs: 0 }
		});
		await fireEvent.input(screen.getByLabelText('Epochs'), { target: { value: '2' } });
		await fireEvent.input(screen.getByLabelText('Steps per epoch'), { target: { value: '10' } });
		await fireEvent.click(startButton());
		await waitFor(() => {
			expect(Number(overall().getAttribute('aria-valuenow'))).toBeGreaterThan(0);
			expect((startButton() as HTMLButtonElement).disabled).toBe(true);
		});
		expect(screen.getByRole('button', { name: 'Cancel' })).toBeTruthy();
		await waitFor(() =>
			expect(screen.getByTestId('training-status').textContent).toContain('Training complete!')
		);
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
		const { container } = render(TrainingProgress, {
			props: { baseUrl: TEST_BASE, resume: false, epochs: 1, stepsPerEpoch: 3, stepMs: 5 }
		});
		await fireEvent.click(startButton());
		const region = container.querySelector('[aria-live="polite"]');
		await waitFor(() => expect(region?.textContent).toContain('Training complete!'));
	});
});
