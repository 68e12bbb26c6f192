/**
 * "The progress bar keeps pace with its label at 50 events a second", in Chromium against the
 * built server: a job at the contract's default step_ms (20 ms, 50 progress events a second),
 * sampled every animation frame. No assertion depends on how fast this machine is: each frame is
 * checked against itself (bar, fill and label agree) and against the frame before it (whatever
 * had arrived by then is on screen now).
 */
import { expect, test } from '@playwright/test';

interface Frame {
	/** `overall_percent` of the newest progress event the page had received at this frame. */
	known: number | null;
	/** The overall bar as shown: aria-valuenow, its fill's scaleX, and the label text. */
	now: number | null;
	scale: number | null;
	text: string;
	/** The epoch bar's aria-valuenow and its "step n / m" label. */
	epochNow: number | null;
	epochText: string;
}

test('the progress bars keep pace with their labels at 50 events a second', async ({ page }) => {
	await page.addInitScript(() => {
		const w = window as unknown as { __known: number | null; __frames: Frame[] };
		w.__known = null;
		w.__frames = [];
		// Record what arrives on every training stream, beside the widget's own listener.
		const Native = window.EventSource;
		window.EventSource = class extends Native {
			constructor(url: string | URL, init?: EventSourceInit) {
				super(url, init);
				if (String(url).includes('/api/training/')) {
					this.addEventListener('progress', (e) => {
						w.__known = (
							JSON.parse((e as MessageEvent).data) as { overall_percent: number }
						).overall_percent;
					});
				}
			}
		};
		const num = (v: string | null | undefined) => (v == null || v === '' ? null : Number(v));
		const sample = () => {
			const overall = document.querySelector('[data-testid="overall-bar"]');
			const epoch = document.querySelector('[data-testid="epoch-bar"]');
			if (overall && epoch) {
				const fill = overall.querySelector<SVGRectElement>('.fill');
				const scale = /scaleX\(([\d.]+)\)/.exec(fill?.style.transform ?? '')?.[1];
				w.__frames.push({
					known: w.__known,
					now: num(overall.getAttribute('aria-valuenow')),
					scale: num(scale),
					text: overall.closest('.lf-progress')?.querySelector('.value')?.textContent ?? '',
					epochNow: num(epoch.getAttribute('aria-valuenow')),
					epochText: epoch.closest('.lf-progress')?.querySelector('.value')?.textContent ?? ''
				});
			}
			requestAnimationFrame(sample);
		};
		requestAnimationFrame(sample);
	});
	await page.goto(process.env.E2E_SERVER_URL ?? '');
	const training = page.getByTestId('training');
	await training.getByLabel('Epochs').fill('2');
	await training.getByLabel('Steps per epoch').fill('100');
	await training.getByRole('button', { name: 'Start training' }).click();
	await expect(page.getByTestId('training-status')).toContainText('Training complete!', {
		timeout: 30_000
	});

	const frames = await page.evaluate(() => (window as unknown as { __frames: Frame[] }).__frames);
	const running = frames.filter((f) => f.known !== null);
	// How many frames there are depends on this machine's frame rate: nothing below counts them.
	expect(running.length).toBeGreaterThan(0);
	let previous: Frame | undefined;
	for (const frame of running) {
		if (frame.now !== null) {
			// Bar, fill and label show one value in every frame.
			expect(frame.text).toBe(`${frame.now.toFixed(2)}%`);
			expect(frame.scale).toBeCloseTo(frame.now / 100, 4);
			expect(frame.epochText).toMatch(/^step \d+ \/ 100$|^done$/);
		}
		// Everything that had arrived before the last frame is on screen in this one.
		if (previous?.known != null) expect(frame.now ?? -1).toBeGreaterThanOrEqual(previous.known);
		// Never backwards.
		if (previous?.now != null) expect(frame.now ?? -1).toBeGreaterThanOrEqual(previous.now);
		previous = frame;
	}
	// The bar showed the job under way rather than only its end: the job runs for over four
	// seconds of the server's timers, and a frame in them shows a value between 0 and 100.
	expect(running.some((f) => f.now !== null && f.now > 0 && f.now < 100)).toBe(true);
	expect(running.at(-1)!.now).toBe(100);
});
