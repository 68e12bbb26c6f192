/**
 * The dashboard against the built real server (`node build`, started once in global-setup):
 * live feeds, a training job run to the end, a reload that resumes a job, three tabs on one
 * HTTP/1.1 origin, and the screenshots (light, dark, phone width).
 */
import { expect, test } from '@playwright/test';
import {
	expectDashboardLive,
	expectTextToChange,
	headerStatus,
	runShortJob,
	saveScreenshot
} from './dashboard-helpers';

const server = () => process.env.E2E_SERVER_URL ?? '';

test('the clock ticks, the CPU figures change and the stocks update', async ({ page }) => {
	await page.goto(server());
	await expect(page.getByRole('heading', { name: 'Live Feeds', level: 1 })).toBeVisible();
	await expect(headerStatus(page)).toHaveText('live');
	await expectDashboardLive(page);
});

test('a short training job runs to "Training complete!", then the screenshots', async ({
	page
}) => {
	await page.emulateMedia({ colorScheme: 'light' });
	await page.setViewportSize({ width: 1360, height: 900 });
	await page.goto(server());
	await runShortJob(page, 3, 40);
	await expect(page.getByTestId('training-loss')).toHaveText('0.1000');
	// Let the sparklines gather a few samples so the pictures show lines, not dots.
	await expect
		.poll(
			() =>
				page
					.getByRole('img', { name: /^CPU, last/ })
					.locator('.line')
					.getAttribute('d')
					.then((d) => (d ?? '').split('L').length),
			{ timeout: 20_000 }
		)
		.toBeGreaterThanOrEqual(4);
	await saveScreenshot(page, 'dashboard-light');
	await page.emulateMedia({ colorScheme: 'dark' });
	await saveScreenshot(page, 'dashboard-dark');
	await page.emulateMedia({ colorScheme: 'light' });
	await page.setViewportSize({ width: 390, height: 844 });
	await saveScreenshot(page, 'dashboard-phone');
});

test('a reload in the middle of a job resumes the same job', async ({ page }) => {
	await page.goto(server());
	const training = page.getByTestId('training');
	// The longest job the contract allows (100 × 1000 steps of 20 ms: over half an hour) outlives
	// this test's timeout, so it is still running at every check however slow the machine is;
	// the test cancels it at the end.
	await training.getByLabel('Epochs').fill('100');
	await training.getByLabel('Steps per epoch').fill('1000');
	await training.getByRole('button', { name: 'Start training' }).click();
	const overall = training.getByRole('progressbar', { name: 'Overall' });
	await expect
		.poll(async () => Number(await overall.getAttribute('aria-valuenow')))
		.toBeGreaterThan(0);
	await expect(training.getByRole('button', { name: 'Training…' })).toBeDisabled();
	const jobId = await page.getByTestId('training-job-id').getAttribute('data-job-id');
	expect(jobId).toBeTruthy();
	const before = Number(await overall.getAttribute('aria-valuenow'));

	await page.reload();
	const resumed = page.getByTestId('training-job-id');
	await expect(resumed).toHaveAttribute('data-job-id', jobId ?? '');
	await expect(resumed).toContainText('resumed');
	await expect
		.poll(async () => Number(await overall.getAttribute('aria-valuenow')))
		.toBeGreaterThan(before);
	await expect(training.getByRole('button', { name: 'Training…' })).toBeDisabled();

	await training.getByRole('button', { name: 'Cancel' }).click();
	await expect(page.getByTestId('training-status')).toContainText('Training cancelled');
	await expect(training.getByRole('button', { name: 'Start training' })).toBeEnabled();
});

test('three tabs of the dashboard on one HTTP/1.1 origin all stay live', async ({ context }) => {
	const tabs = [];
	for (let i = 0; i < 3; i++) {
		const tab = await context.newPage();
		await tab.goto(server());
		await expect(tab.getByTestId('clock-time')).toHaveText(/^\d\d:\d\d:\d\d$/);
		tabs.push(tab);
	}
	// Each tab holds one stream; the REST call for the job list must still get through.
	for (const tab of tabs) {
		await expect(headerStatus(tab)).toHaveText('live');
		await expectTextToChange(tab.getByTestId('clock-time'));
		await expect(tab.getByRole('progressbar', { name: 'CPU' })).toHaveAttribute(
			'aria-valuetext',
			/%$/
		);
	}
	await runShortJob(tabs[2]!, 1, 10);
	for (const tab of tabs) await expectTextToChange(tab.getByTestId('clock-time'));
});

test('the dashboard is usable by keyboard alone', async ({ page }) => {
	await page.goto(server());
	await expect(page.getByTestId('clock-time')).toHaveText(/\d/);
	const training = page.getByTestId('training');
	const epochs = training.getByLabel('Epochs');
	await epochs.focus();
	await page.keyboard.press('Control+A');
	await page.keyboard.type('1');
	await page.keyboard.press('Tab');
	await expect(training.getByLabel('Steps per epoch')).toBeFocused();
	await page.keyboard.press('Control+A');
	await page.keyboard.type('10');
	await page.keyboard.press('Tab');
	await expect(training.getByRole('button', { name: 'Start training' })).toBeFocused();
	await page.keyboard.press('Enter');
	await expect(page.getByTestId('training-status')).toContainText('Training complete!');
});
