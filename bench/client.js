/**
 * The client half: load a dashboard URL in Chromium (Playwright) and measure, over a fixed run,
 * long tasks over 50 ms, frames per second through requestAnimationFrame, and JS heap growth; also
 * the gzip size of the scripts the page actually loaded. Bundle sizes proper are bench/size.js's.
 *
 * Run alone: `node bench/client.js --url=http://127.0.0.1:4173/?scenario=burst [--duration=10]`.
 */
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { median } from './lib/stats.js';

/** Chromium flags that work in this container (see shared/TOOLCHAIN.md). */
const CHROMIUM_ARGS = [
	'--no-sandbox',
	'--disable-gpu',
	'--disable-quic',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync',
	'--no-first-run',
	// Keep timers and rAF at full rate in a headless page.
	'--disable-background-timer-throttling',
	'--disable-renderer-backgrounding'
];

/**
 * @typedef {object} ClientResult
 * @property {string} url
 * @property {string} browser
 * @property {number} durationMs
 * @property {number} longTasks Long tasks (> 50 ms) during the run.
 * @property {number | null} longestTaskMs
 * @property {number} longTasksDuringLoad Long tasks before the run started (page load).
 * @property {number} fps requestAnimationFrame callbacks per second during the run.
 * @property {number} heapStartBytes JS heap after a forced GC at the start of the run.
 * @property {number} heapEndBytes JS heap after a forced GC at the end of the run.
 * @property {number[]} heapSeriesBytes JS heap once a second, without forcing GC.
 * @property {number} initialJsFiles Scripts loaded before the run started.
 * @property {number} initialJsBytes Their size as served.
 * @property {number} initialJsGzipBytes Their size gzipped (zlib default level).
 * @property {{target: string, pass: boolean}[]} targets
 */

/**
 * Loads `url` in Chromium and measures it for `durationMs` (default 10 s).
 * @param {{url: string, durationMs?: number, executablePath?: string}} o
 * @returns {Promise<ClientResult>}
 */
export async function runClientBench(o) {
	const durationMs = o.durationMs ?? 10_000;
	const { chromium } = await import('@playwright/test');
	const browser = await chromium.launch({
		executablePath: o.executablePath ?? process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
		args: CHROMIUM_ARGS
	});
	try {
		const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
		const page = await context.newPage();
		/** @type {Promise<Buffer | null>[]} */
		const scripts = [];
		let loading = true;
		page.on('response', (response) => {
			if (loading && response.request().resourceType() === 'script') {
				scripts.push(response.body().catch(() => null));
			}
		});
		await page.addInitScript(() => {
			const state = { longTasks: /** @type {number[]} */ ([]), frames: 0, counting: false };
			/** @type {any} */ (window).__bench = state;
			new PerformanceObserver((list) => {
				for (const entry of list.getEntries()) state.longTasks.push(entry.duration);
			}).observe({ type: 'longtask', buffered: true });
			const frame = () => {
				if (state.counting) state.frames++;
				requestAnimationFrame(frame);
			};
			requestAnimationFrame(frame);
		});
		await page.goto(o.url, { waitUntil: 'load', timeout: 30_000 });
		// Streams keep the network busy for ever, so "idle" is bounded rather than awaited.
		await page.waitForLoadState('networkidle', { timeout: 3000 }).catch(() => {});
		loading = false;
		const bodies = (await Promise.all(scripts)).filter((b) => b !== null);

		const cdp = await context.newCDPSession(page);
		const heapAfterGc = async () => {
			await cdp.send('HeapProfiler.collectGarbage');
			return (await cdp.send('Runtime.getHeapUsage')).usedSize;
		};
		const heapStartBytes = await heapAfterGc();
		const longTasksDuringLoad = await page.evaluate(() => {
			const state = /** @type {any} */ (window).__bench;
			const n = state.longTasks.length;
			state.longTasks = [];
			state.frames = 0;
			state.counting = true;
			return n;
		});
		const started = Date.now();
		/** @type {number[]} */
		const heapSeriesBytes = [];
		for (let i = 0; i < Math.ceil(durationMs / 1000); i++) {
			await page.waitForTimeout(1000);
			heapSeriesBytes.push((await cdp.send('Runtime.getHeapUsage')).usedSize);
		}
		const run = await page.evaluate(() => {
			const state = /** @type {any} */ (window).__bench;
			state.counting = false;
			return { frames: state.frames, longTasks: /** @type {number[]} */ (state.longTasks) };
		});
		const elapsed = Date.now() - started;
		const heapEndBytes = await heapAfterGc();
		const fps = run.frames / (elapsed / 1000);
		const result = {
			url: o.url,
			browser: browser.version(),
			durationMs: elapsed,
			longTasks: run.longTasks.length,
			longestTaskMs: run.longTasks.length ? Math.max(...run.longTasks) : null,
			longTasksDuringLoad,
			fps,
			heapStartBytes,
			heapEndBytes,
			heapSeriesBytes,
			initialJsFiles: bodies.length,
			initialJsBytes: bodies.reduce((n, b) => n + b.length, 0),
			initialJsGzipBytes: bodies.reduce((n, b) => n + gzipSync(b).length, 0)
		};
		return { ...result, targets: judge(result) };
	} finally {
		await browser.close();
	}
}

/**
 * Several runs of `runClientBench` summarised: medians of every figure (long tasks, fps, heap),
 * the longest task of any run, targets judged on the medians, and every run kept as measured.
 * @param {ClientResult[]} runs
 */
export function summariseClientRuns(runs) {
	const first = runs[0];
	if (!first) throw new Error('no client runs to summarise');
	/** @param {(run: ClientResult) => number | null} pick */
	const mid = (pick) => median(runs.map(pick)) ?? 0;
	const longTasks = mid((r) => r.longTasks);
	const fps = mid((r) => r.fps);
	const heapStartBytes = mid((r) => r.heapStartBytes);
	const heapEndBytes = mid((r) => r.heapEndBytes);
	const longest = runs.map((r) => r.longestTaskMs).filter((ms) => ms !== null);
	return {
		url: first.url,
		browser: first.browser,
		repetitions: runs.length,
		durationMs: mid((r) => r.durationMs),
		longTasks,
		longestTaskMs: longest.length ? Math.max(...longest) : null,
		fps,
		heapStartBytes,
		heapEndBytes,
		initialJsFiles: first.initialJsFiles,
		initialJsGzipBytes: first.initialJsGzipBytes,
		targets: judge({ longTasks, fps, heapStartBytes, heapEndBytes }),
		runs
	};
}

/**
 * The dashboard targets: no long tasks, at least 55 fps, and a stable heap (after GC it ends
 * within 10%, or 1 MB, of where it started).
 * @param {{longTasks: number, fps: number, heapStartBytes: number, heapEndBytes: number}} m
 */
function judge(m) {
	return [
		{ target: 'no long tasks', pass: m.longTasks === 0 },
		{ target: '≥ 55 fps', pass: m.fps >= 55 },
		{
			target: 'stable heap',
			pass: m.heapEndBytes - m.heapStartBytes <= Math.max(1048576, m.heapStartBytes * 0.1)
		}
	];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
	/** @type {Record<string, string>} */
	const args = {};
	for (const arg of process.argv.slice(2)) {
		const [key = '', value = ''] = arg.replace(/^--/, '').split(/=(.*)/s);
		args[key] = value;
	}
	if (!args.url) {
		console.error('usage: node bench/client.js --url=<dashboard URL> [--duration=10]');
		process.exitCode = 2;
	} else {
		const durationMs = Number(args.duration ?? 10) * 1000;
		console.log(JSON.stringify(await runClientBench({ url: args.url, durationMs }), null, '\t'));
	}
}
