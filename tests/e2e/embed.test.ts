/**
 * The package's round trip, as a host app would live it: pack the library, install the tarball
 * into a temporary copy of examples/embed, build that app, and check in Chromium that its embedded
 * widgets show live data from a Live Feeds server on another origin, and that its own feed works.
 */
import { expect, test } from '@playwright/test';
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startBuiltServer, startProcess, type Started } from '../support/processes';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TARBALL = 'live-feeds-0.1.0.tgz';
const LEFT_OUT = new Set(['node_modules', 'build', '.svelte-kit', TARBALL]);

/** Runs a command to completion; rejects with its output when it fails. */
function run(command: string, args: string[], cwd: string): Promise<string> {
	return new Promise((resolve, reject) => {
		const child = spawn(command, args, {
			cwd,
			// CI=true keeps npm quiet and non-interactive; the outer `npm test`'s idea of the project
			// (its prefix, package and script) must not leak into the example's own npm runs, while
			// the user's npm settings (registry, cache) must.
			env: { ...withoutNpmProject(process.env), CI: 'true' },
			stdio: ['ignore', 'pipe', 'pipe']
		});
		let output = '';
		child.stdout.on('data', (d) => (output += d));
		child.stderr.on('data', (d) => (output += d));
		child.once('error', reject);
		child.once('exit', (code) =>
			code === 0
				? resolve(output)
				: reject(new Error(`${command} ${args.join(' ')} exited ${code} in ${cwd}:\n${output}`))
		);
	});
}

function withoutNpmProject(env: NodeJS.ProcessEnv): Record<string, string> {
	const kept: Record<string, string> = {};
	for (const [key, value] of Object.entries(env)) {
		const project = /^(npm_package_|npm_lifecycle_|npm_config_local_prefix$|INIT_CWD$)/i.test(key);
		if (value !== undefined && !project) kept[key] = value;
	}
	return kept;
}

let work = '';
let feeds: Started | undefined;
let app: Started | undefined;
let appOrigin = '';

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
	// Packing, installing and two builds: about a minute and a half on two cores, more when busy.
	test.setTimeout(360_000);
	work = mkdtempSync(path.join(tmpdir(), 'live-feeds-embed-'));
	const appDir = path.join(work, 'embed');

	// 1. Pack the library: `prepack` runs `npm run package` (svelte-package, then publint).
	await run('npm', ['pack', '--pack-destination', work], ROOT);

	// 2. A fresh copy of the example, with the tarball where its package.json expects it.
	cpSync(path.join(ROOT, 'examples', 'embed'), appDir, {
		recursive: true,
		filter: (source) => !LEFT_OUT.has(path.basename(source))
	});
	renameSync(path.join(work, TARBALL), path.join(appDir, TARBALL));
	// The root's install has already put these exact versions in npm's cache.
	await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], appDir);
	await run('npm', ['run', 'build'], appDir);
	// The server entry loads in plain Node too (no bundler to resolve extensionless imports).
	await run(
		process.execPath,
		[
			'--input-type=module',
			'-e',
			"const m = await import('live-feeds/server'); if (typeof m.createFeed !== 'function') process.exit(1);"
		],
		appDir
	);

	// 3. Two origins: the Live Feeds server allows exactly the example's.
	const appPort = await freePort();
	appOrigin = `http://127.0.0.1:${appPort}`;
	feeds = await startBuiltServer({ ALLOWED_ORIGINS: appOrigin });
	app = await startProcess({
		command: process.execPath,
		args: ['build/index.js'],
		cwd: appDir,
		port: appPort,
		env: { PUBLIC_LIVE_FEEDS_URL: feeds.url, ORIGIN: appOrigin },
		readyPath: '/'
	});
});

test.afterAll(async () => {
	await app?.stop();
	await feeds?.stop();
	if (work) rmSync(work, { recursive: true, force: true });
});

test('the embedded widgets render a placeholder on the server', async ({ request }) => {
	const response = await request.get(app!.url);
	expect(response.status()).toBe(200);
	const html = await response.text();
	expect(html).toContain('data-testid="stocks"');
	expect(html).toContain('data-testid="system"');
	// The server render is the placeholder: the stores connect only in the browser.
	expect(html).toContain('AAPL waiting');
});

test('StockTicker and SystemMonitor show live data from the other origin', async ({ page }) => {
	const crossOrigin: string[] = [];
	page.on('response', (response) => {
		if (response.url().startsWith(feeds!.url)) crossOrigin.push(response.url());
	});
	await page.goto(app!.url);

	const price = page.getByTestId('stock-AAPL-price');
	await expect(price).toHaveText(/\d+\.\d{2}/);
	const first = await price.textContent();
	await expect.poll(() => price.textContent(), { timeout: 20_000 }).not.toBe(first);
	await expect(page.getByTestId('stock-MSFT-price')).toHaveText(/\d+\.\d{2}/);
	await expect(page.getByTestId('stock-GOOGL')).toHaveCount(0);

	await expect(page.getByTestId('memory-text')).toHaveText(/\d+(\.\d+)? \/ \d+(\.\d+)? MB/);
	expect(crossOrigin.some((url) => url.includes('/api/feeds/stocks'))).toBe(true);
	expect(crossOrigin.some((url) => url.includes('/api/feeds/system'))).toBe(true);
});

test('the example serves its own feed through live-feeds/server', async ({ page, request }) => {
	await page.goto(app!.url);
	const uptime = page.getByTestId('app-stats-uptime');
	await expect(uptime).toHaveText(/^\d+ s$/);
	const first = await uptime.textContent();
	await expect.poll(() => uptime.textContent(), { timeout: 10_000 }).not.toBe(first);

	const bad = await request.get(`${app!.url}/api/app-stats?nope=1`);
	expect(bad.status()).toBe(400);
	expect((await bad.json()).error.code).toBeTruthy();
});

test('the widgets take the host theme and leak no styles into it', async ({ page }) => {
	await page.goto(app!.url);
	const card = page.getByTestId('stocks');
	await expect(card).toBeVisible();
	const cardStyle = await card.evaluate((el) => {
		const style = getComputedStyle(el);
		return { background: style.backgroundColor, radius: style.borderTopLeftRadius };
	});
	expect(cardStyle).toEqual({ background: 'rgb(255, 251, 235)', radius: '4px' });
	// The widgets style their own h2 in capitals; the host's h2 must keep its own look.
	const hostHeading = await page
		.getByTestId('host-heading')
		.evaluate((el) => getComputedStyle(el).textTransform);
	expect(hostHeading).toBe('none');
});

test('the Live Feeds server answers the example origin, and only it, with CORS', async ({
	request
}) => {
	const allowed = await request.get(`${feeds!.url}/api/health`, {
		headers: { origin: appOrigin }
	});
	expect(allowed.headers()['access-control-allow-origin']).toBe(appOrigin);
	const other = await request.get(`${feeds!.url}/api/health`, {
		headers: { origin: 'http://127.0.0.1:1' }
	});
	expect(other.headers()['access-control-allow-origin']).toBeUndefined();
});
