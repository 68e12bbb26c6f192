/**
 * The static demo build (`build-demo/`, served by a plain static server with no API): the same
 * views, answered by the mock service worker, and the gallery with its scenarios.
 */
import { expect, test } from '@playwright/test';
import { expectDashboardLive, headerStatus, runShortJob } from './dashboard-helpers';

const demo = () => process.env.E2E_DEMO_URL ?? '';

test('the demo dashboard moves with no server', async ({ page }) => {
	await page.goto(demo());
	await expect(page.getByText('Mocked data.')).toBeVisible();
	await expect(headerStatus(page)).toHaveText('live');
	await expectDashboardLive(page);
	await runShortJob(page, 2, 10);
});

test('the gallery shows each widget alone and switches scenarios', async ({ page }) => {
	await page.goto(`${demo()}/gallery`);
	await expect(page.getByRole('heading', { name: 'Widget gallery' })).toBeVisible();
	for (const id of ['clock', 'system', 'stocks', 'training']) {
		await expect(page.getByTestId(id)).toBeVisible();
	}
	await expect(page.getByTestId('clock-time')).toHaveText(/^\d\d:\d\d:\d\d$/);
	await expect(page.getByTestId('stock-AAPL-price')).toHaveText(/^\d+\.\d\d$/);

	const status = page.getByRole('banner').getByTestId('connection-status');
	await expect(status).toHaveText('live');
	await page.getByRole('radio', { name: /^down/ }).check();
	await expect(status).toContainText('reconnecting', { timeout: 20_000 });
	await page.getByRole('radio', { name: /^normal/ }).check();
	await status.getByRole('button', { name: 'Reconnect' }).click();
	await expect(status).toHaveText('live', { timeout: 20_000 });
});
