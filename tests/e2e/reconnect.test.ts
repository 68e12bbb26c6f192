/**
 * Stop the server under an open dashboard and start it again on the same port: the status shows
 * reconnecting, then live, with no click. This test runs its own server, stopped by PID.
 */
import { expect, test } from '@playwright/test';
import { freePort, startBuiltServer, type Started } from '../support/processes';
import { expectTextToChange, headerStatus } from './dashboard-helpers';

test('after a server restart the page is live again with no click', async ({ page }) => {
	test.setTimeout(90_000);
	const port = await freePort();
	let server: Started | null = await startBuiltServer({}, port);
	try {
		await page.goto(server.url);
		await expect(headerStatus(page)).toHaveText('live');
		await expectTextToChange(page.getByTestId('clock-time'));

		await server.stop();
		server = null;
		await expect(headerStatus(page)).toContainText('reconnecting', { timeout: 20_000 });
		await expect(page.getByTestId('clock').getByTestId('connection-status')).toBeVisible();

		server = await startBuiltServer({}, port);
		await expect(headerStatus(page)).toHaveText('live', { timeout: 45_000 });
		await expectTextToChange(page.getByTestId('clock-time'));
		await expect(page.getByTestId('clock').getByTestId('connection-status')).toHaveCount(0);
	} finally {
		await server?.stop();
	}
});
