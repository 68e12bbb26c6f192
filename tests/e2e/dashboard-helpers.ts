/**
 * What a person sees on the dashboard, as Playwright checks: every check waits for a change to
 * happen (expect.poll), none measures how fast it happens.
 */
import { expect, type Locator, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';

/** Where the screenshots go (gitignored; kept as CI artifacts). */
export const SCREENSHOT_DIR = 'test-results/screenshots';

/** Waits until the text of `locator` differs from what it is now. */
export async function expectTextToChange(locator: Locator, timeout = 20_000): Promise<void> {
	const before = await locator.textContent();
	await expect.poll(() => locator.textContent(), { timeout }).not.toBe(before);
}

/** The header's connection status (the cards' own pills only show when they are not live). */
export function headerStatus(page: Page): Locator {
	return page.getByRole('banner').getByTestId('connection-status');
}

/** The system card's figures: CPU, memory and the per-core values. */
function systemFigures(page: Page): Promise<string> {
	return page.getByTestId('system').evaluate((card) =>
		[...card.querySelectorAll('[role="progressbar"]')]
			.map((bar) => bar.getAttribute('aria-valuetext') ?? '')
			.concat(card.querySelector('[data-testid="memory-text"]')?.textContent ?? '')
			.join(' ')
	);
}

/** The clock ticks, the system figures change and the stock prices move. */
export async function expectDashboardLive(page: Page): Promise<void> {
	const clock = page.getByTestId('clock-time');
	await expect(clock).toHaveText(/^\d\d:\d\d:\d\d$/);
	await expectTextToChange(clock);

	const cpu = page.getByRole('progressbar', { name: 'CPU' });
	await expect(cpu).toHaveAttribute('aria-valuetext', /^\d+\.\d\d%$/);
	await expect(page.getByTestId('memory-text')).toHaveText(/^\d+\.\d\d \/ \d+\.\d\d MB$/);
	const figures = await systemFigures(page);
	await expect.poll(() => systemFigures(page), { timeout: 20_000 }).not.toBe(figures);

	const prices = page.getByTestId('stocks').locator('[data-testid$="-price"]');
	await expect(prices).toHaveCount(3);
	await expect(prices.first()).toHaveText(/^\d+\.\d\d$/);
	const quotes = async () => (await prices.allTextContents()).join(' ');
	const before = await quotes();
	await expect.poll(quotes, { timeout: 20_000 }).not.toBe(before);
}

/** Starts a short job through the inputs and waits for "Training complete!". */
export async function runShortJob(page: Page, epochs = 2, steps = 10): Promise<void> {
	const training = page.getByTestId('training');
	await training.getByLabel('Epochs').fill(String(epochs));
	await training.getByLabel('Steps per epoch').fill(String(steps));
	const start = training.getByRole('button', { name: 'Start training' });
	await expect(start).toBeEnabled();
	await start.click();
	await expect(page.getByTestId('training-status')).toContainText('Training complete!', {
		timeout: 30_000
	});
	await expect(training.getByRole('progressbar', { name: 'Overall' })).toHaveAttribute(
		'aria-valuenow',
		'100'
	);
	await expect(training.getByRole('button', { name: 'Start training' })).toBeEnabled();
}

/** Saves a full-page screenshot under {@link SCREENSHOT_DIR}. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
	mkdirSync(SCREENSHOT_DIR, { recursive: true });
	const path = `${SCREENSHOT_DIR}/${name}.png`;
	await page.screenshot({ path, fullPage: true, animations: 'disabled' });
	return path;
}
