/**
 * Ten tabs of the dashboard in one browser context (one origin, so six HTTP/1.1 connections in
 * all; issue 12): every tab live over the leader tab's streams, and, when the leader tab closes,
 * a takeover that resumes with no gap and no duplicate; then a job shown in ten tabs over one
 * more stream. Every wait is for a condition. The takeover time is measured and reported as an
 * annotation (the target is 2 s), never asserted: a loaded machine must not fail it.
 */
import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import { headerStatus } from './dashboard-helpers';

const server = () => process.env.E2E_SERVER_URL ?? '';
const demo = () => process.env.E2E_DEMO_URL ?? '';

/** One tab and the streams (EventSource requests) its page made itself. */
interface Tab {
	page: Page;
	streams: string[];
}

/** What a tab received: time ticks counted, and the multiplexed stream's last id. */
interface Ticks {
	ticks: number;
	time: number;
}

async function openTab(context: BrowserContext, url: string): Promise<Tab> {
	const page = await context.newPage();
	// Ten dashboards draw at once: without the CSS animations they leave the CPU to the streams.
	await page.emulateMedia({ reducedMotion: 'reduce' });
	const tab: Tab = { page, streams: [] };
	page.on('request', (request) => {
		if (request.resourceType() === 'eventsource') tab.streams.push(request.url());
	});
	await page.goto(url);
	// Generous: ten dashboards render at once on what may be a busy machine.
	await expect(headerStatus(page)).toHaveText('live', { timeout: 60_000 });
	return tab;
}

async function ticksOf(page: Page): Promise<Ticks> {
	return page.locator('main').evaluate((main) => ({
		ticks: Number(main.dataset.ticks ?? 0),
		time: Number(/(?:^|;)time=(\d+)/.exec(main.dataset.lastEventId ?? '')?.[1] ?? NaN)
	}));
}

/** Waits until the tab's clock has ticked `more` times since `since`. */
async function expectTicks(page: Page, since: Ticks, more = 1, timeout = 30_000): Promise<Ticks> {
	await expect
		.poll(async () => (await ticksOf(page)).ticks, { timeout })
		.toBeGreaterThanOrEqual(since.ticks + more);
	return ticksOf(page);
}

/** Waits until every tab's clock has ticked again; a failure names the tabs that did not. */
async function expectAllTick(tabs: Tab[], timeout = 30_000): Promise<void> {
	const since = await Promise.all(tabs.map((tab) => ticksOf(tab.page)));
	const moved = async () =>
		(await Promise.all(tabs.map((tab) => ticksOf(tab.page)))).map(
			(now, index) => `tab ${index}: ${now.ticks > (since[index]?.ticks ?? 0) ? 'ticks' : 'stuck'}`
		);
	await expect.poll(moved, { timeout }).toEqual(tabs.map((_, index) => `tab ${index}: ticks`));
}

/** Waits until the job's overall progress moves on in the tab. */
async function expectJobMoves(page: Page): Promise<void> {
	const overall = page.getByRole('progressbar', { name: 'Overall' });
	const value = async () => Number((await overall.getAttribute('aria-valuenow')) ?? 0);
	const now = await value();
	await expect.poll(value, { timeout: 30_000 }).toBeGreaterThan(now);
}

/** Open streams as the server counts them. */
async function connections(): Promise<number> {
	const response = await fetch(`${server()}/api/health`);
	return ((await response.json()) as { connections: number }).connections;
}

/**
 * The stream requests of the multiplexed feed, over the tabs given. A server without `history`
 * answers the first with 400, and the store asks again without it: one connection, two requests.
 */
const multiplexed = (...tabs: Tab[]) =>
	tabs.flatMap((tab) => tab.streams.filter((url) => new URL(url).pathname === '/api/feeds'));

/** Only `leader` ever asked for the multiplexed stream. */
function expectOnlyLeaderRequested(leader: Tab, tabs: Tab[]): void {
	expect(multiplexed(leader).length).toBeGreaterThan(0);
	expect(multiplexed(...tabs.filter((tab) => tab !== leader))).toEqual([]);
}

/**
 * Closes the leader (the first tab: it was alone when it asked for the lock), then checks that
 * every other tab ticks again, reports how long that took, and returns the ticks seen before the
 * close.
 */
async function closeLeader(tabs: Tab[]): Promise<{ rest: Tab[]; before: Ticks[] }> {
	const [leader, ...rest] = tabs as [Tab, ...Tab[]];
	const before = await Promise.all(rest.map((tab) => ticksOf(tab.page)));
	const closedAt = Date.now();
	await leader.page.close();
	await Promise.all(rest.map((tab, index) => expectTicks(tab.page, before[index] as Ticks, 1)));
	const takeoverMs = Date.now() - closedAt;
	test.info().annotations.push({ type: 'takeover-ms', description: String(takeoverMs) });
	console.log(`takeover: every other tab ticked again ${takeoverMs} ms after the leader closed`);
	// One of the others took over, resuming from the last relayed id.
	const takers = rest.filter((tab) => multiplexed(tab).length > 0);
	expect(takers).toHaveLength(1);
	for (const url of multiplexed(...rest)) expect(url).toContain('lastEventId=');
	return { rest, before };
}

test.describe.configure({ timeout: 600_000 });
// A trace of ten animated pages is heavy enough to slow the pages it records.
test.use({ trace: 'off' });

test('ten tabs share one stream, and a takeover resumes it with no gap and no duplicate', async ({
	browser
}) => {
	const context = await browser.newContext();
	const counts: Record<number, number> = {};
	const tabs: Tab[] = [];
	for (const target of [1, 5, 10]) {
		while (tabs.length < target) tabs.push(await openTab(context, server()));
		await expectAllTick(tabs);
		await expect.poll(connections).toBe(1);
		counts[target] = await connections();
	}
	// Only the first tab ever asked the server for the stream.
	expectOnlyLeaderRequested(tabs[0] as Tab, tabs);

	// The takeover, while the tabs carry the live feeds only.
	const { rest, before } = await closeLeader(tabs);
	await expect.poll(connections).toBe(1);
	for (const [index, tab] of rest.entries()) {
		const start = before[index] as Ticks;
		const after = await expectTicks(tab.page, start, 3);
		// Every time position between the two readings arrived exactly once.
		expect(after.time - start.time).toBe(after.ticks - start.ticks);
	}

	// Ten tabs again, then a long job started in one; the others find it when they load again.
	rest.push(await openTab(context, server()));
	const [starter, ...others] = rest as [Tab, ...Tab[]];
	await starter.page.getByTestId('training').getByLabel('Epochs').fill('100');
	await starter.page.getByRole('button', { name: 'Start training' }).click();
	const label = starter.page.getByTestId('training-job-id');
	await expect(label).toBeVisible();
	const jobId = (await label.getAttribute('data-job-id')) ?? '';
	for (const tab of others) {
		await tab.page.reload();
		await expect(tab.page.getByTestId('training-job-id')).toHaveAttribute('data-job-id', jobId);
	}
	const withJob: Record<number, number> = {};
	await expect.poll(connections).toBe(2);
	withJob[rest.length] = await connections();
	await Promise.all(rest.map((tab) => expectJobMoves(tab.page)));
	// Only the tab that started the job streams it.
	const jobStreams = (tab: Tab) => tab.streams.filter((url) => url.includes(`/${jobId}/events`));
	expect(jobStreams(starter).length).toBeGreaterThan(0);
	expect(others.flatMap(jobStreams)).toEqual([]);

	test.info().annotations.push({
		type: 'streams',
		description: `server streams with 1/5/10 tabs: ${counts[1]}/${counts[5]}/${counts[10]}; with a job shown in ${rest.length} tabs: ${withJob[rest.length]}`
	});
	console.log(test.info().annotations.at(-1)?.description);
	await fetch(`${server()}/api/training/${jobId}`, { method: 'DELETE' });
	await context.close();
});

test('the static demo shares the stream too: only the leader page asks the service worker', async ({
	browser
}) => {
	const context = await browser.newContext();
	const tabs: Tab[] = [];
	for (let index = 0; index < 10; index += 1) tabs.push(await openTab(context, demo()));
	await expectAllTick(tabs);
	expectOnlyLeaderRequested(tabs[0] as Tab, tabs);

	const { rest, before } = await closeLeader(tabs);
	for (const [index, tab] of rest.entries()) {
		const start = before[index] as Ticks;
		const after = await expectTicks(tab.page, start, 2);
		// Each page runs its own mock backend, so the new leader's ids are its own: they move on
		// (a mock that does not know an id answers with its current state), never back.
		expect(after.time).toBeGreaterThan(start.time);
	}
	await context.close();
});
