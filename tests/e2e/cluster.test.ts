/**
 * The dashboard in Chromium through nginx in front of three instances on one Redis: killing the
 * instance that serves its streams (kill -9) leaves it live, with no click. Everything here is
 * started by the test on 127.0.0.1 ephemeral ports and stopped by PID in `finally`.
 */
import { expect, test } from '@playwright/test';
import { startCluster, type Cluster } from '../support/cluster';
import { startNginx, type StartedNginx } from '../support/nginx';
import { expectDashboardLive, expectTextToChange, headerStatus } from './dashboard-helpers';

test('the dashboard behind nginx stays live while the instance serving it is killed', async ({
	page
}) => {
	test.setTimeout(180_000);
	let cluster: Cluster | null = null;
	let nginx: StartedNginx | null = null;
	try {
		cluster = await startCluster({ count: 3 });
		nginx = await startNginx({
			upstreams: cluster.instances.map((i) => `127.0.0.1:${i.port}`),
			readTimeoutS: 10
		});
		await page.goto(nginx.url);
		await expect(headerStatus(page)).toHaveText('live');
		await expectDashboardLive(page);

		// The instances holding the page's streams (nginx spreads them over the three).
		const serving: number[] = [];
		for (let i = 0; i < cluster.instances.length; i++) {
			if (((await cluster.health(i))?.connections ?? 0) > 0) serving.push(i);
		}
		expect(serving.length).toBeGreaterThan(0);
		const victim = serving[0]!;
		await cluster.kill(victim);

		// Its streams reconnect through nginx to the others; the page goes on by itself.
		await expect(headerStatus(page)).toHaveText('live', { timeout: 45_000 });
		await expectTextToChange(page.getByTestId('clock-time'), 45_000);
		await expectDashboardLive(page);
		const alive = [0, 1, 2].filter((i) => i !== victim);
		await expect
			.poll(async () => {
				let open = 0;
				for (const i of alive) open += (await cluster!.health(i))?.connections ?? 0;
				return open;
			})
			.toBeGreaterThan(0);
	} finally {
		await nginx?.stop();
		await cluster?.stop();
	}
});
