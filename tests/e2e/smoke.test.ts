import { expect, test } from '@playwright/test';

const server = () => process.env.E2E_SERVER_URL!;

test('the plain page shows every feed moving from the real server', async ({ page }) => {
	await page.goto(server());
	await expect(page.locator('pre').first()).toContainText('"time"');
	await page.getByRole('button', { name: 'Start training' }).click();
	await expect(page.locator('pre').nth(3)).toContainText('progress');
	await expect(page.locator('pre').nth(2)).toContainText('symbol');
});
