/**
 * `npm run bench:size [-- out.json] [--strict]`: what the package costs a host app, and what the
 * dashboard makes a browser download before it can show anything. A measurement, not a timed test.
 *
 * 1. StockTicker: builds two tiny Svelte 5 + Vite apps, one empty and one that imports only
 *    `StockTicker` from the packed package (the `npm pack` tarball, unpacked into node_modules as
 *    an installed dependency would be), and reports the gzip difference (target: at most 11 KB,
 *    issue 12's budget with cross-tab sharing included; an earlier goal of 8 KB was never met).
 * 2. Dashboard: starts the built server (`build/`), loads `/`, and sums the gzip sizes of the
 *    JavaScript the page loads initially: the entry scripts and every `modulepreload` (in the
 *    `Link` header or the HTML), which SvelteKit emits for the page's whole static import graph
 *    (target: at most 45 KB).
 *
 * Prints JSON to stdout and writes it to the first non-flag argument when one is given.
 * Packages and packs the library itself (`npm run package`, `npm pack`); needs `build/` from
 * `npm run build`. `--strict` exits with 1 when a target is missed.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
	existsSync,
	mkdirSync,
	mkdtempSync,
	readFileSync,
	readdirSync,
	rmSync,
	statSync,
	symlinkSync,
	writeFileSync
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { freePort, trackChild } from './lib/proc.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const KB = 1024;
const TARGETS = { stockTickerBytes: 11 * KB, dashboardJsBytes: 45 * KB };

/** @param {string | Buffer} content */
const gzipSize = (content) => gzipSync(content).byteLength;

/**
 * Runs a command in the repository, failing loudly with its output.
 * @param {string} command
 * @param {string[]} args
 * @param {string} [cwd]
 */
function run(command, args, cwd = ROOT) {
	const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: process.env });
	if (result.status !== 0) {
		throw new Error(`${command} ${args.join(' ')} failed:\n${result.stdout}\n${result.stderr}`);
	}
	return result.stdout;
}

/**
 * Every file under `dir`, with paths relative to it.
 * @param {string} dir
 * @returns {string[]}
 */
function walk(dir) {
	return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((file) =>
		statSync(path.join(dir, file)).isFile()
	);
}

/**
 * Gzip totals of the JS and CSS a Vite build wrote.
 * @param {string} outDir
 */
function measureOutput(outDir) {
	const totals = {
		jsGzip: 0,
		cssGzip: 0,
		jsRaw: 0,
		chunks: /** @type {Record<string, number>} */ ({})
	};
	for (const file of walk(outDir)) {
		const content = readFileSync(path.join(outDir, file));
		if (file.endsWith('.js')) {
			const size = gzipSize(content);
			totals.jsGzip += size;
			totals.jsRaw += content.byteLength;
			// Vite names chunks `<name>-<hash>.js`.
			const name = path.basename(file).replace(/-[\w-]{8}\.js$/, '');
			totals.chunks[name] = (totals.chunks[name] ?? 0) + size;
		} else if (file.endsWith('.css')) {
			totals.cssGzip += gzipSize(content);
		}
	}
	return totals;
}

/**
 * Installs the packed package into `dir/node_modules/live-feeds`, next to a link to our Svelte.
 * @param {string} dir
 */
function installPacked(dir) {
	// Packaged afresh so the tarball matches the sources; then packed without `prepack` doing it again.
	run('npm', ['run', 'package']);
	const packed = JSON.parse(
		run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir])
	);
	const tarball = path.join(dir, packed[0].filename);
	const modules = path.join(dir, 'node_modules');
	mkdirSync(path.join(modules, 'live-feeds'), { recursive: true });
	run('tar', ['xzf', tarball, '-C', path.join(modules, 'live-feeds'), '--strip-components=1']);
	symlinkSync(path.join(ROOT, 'node_modules', 'svelte'), path.join(modules, 'svelte'), 'dir');
}

/**
 * Builds a one-component Svelte 5 + Vite app and measures it.
 * @param {string} dir the app's folder (holds node_modules)
 * @param {string} name
 * @param {string} component the App.svelte source
 */
async function buildApp(dir, name, component, split = false) {
	const { build } = await import('vite');
	const { svelte } = await import('@sveltejs/vite-plugin-svelte');
	const app = path.join(dir, name);
	mkdirSync(app, { recursive: true });
	writeFileSync(
		path.join(app, 'index.html'),
		'<!doctype html><html><body><script type="module" src="./main.js"></script></body></html>\n'
	);
	writeFileSync(
		path.join(app, 'main.js'),
		"import { mount } from 'svelte';\nimport App from './App.svelte';\n" +
			'mount(App, { target: document.body });\n'
	);
	writeFileSync(path.join(app, 'App.svelte'), component);
	const outDir = path.join(app, 'out');
	await build({
		root: app,
		configFile: false,
		logLevel: 'silent',
		plugins: [svelte({ configFile: false })],
		build: {
			outDir,
			emptyOutDir: true,
			// For the breakdown: the package's code and Svelte's runtime each in a chunk of their own.
			rolldownOptions: split
				? {
						output: {
							codeSplitting: {
								groups: [
									{ name: 'svelte', test: /node_modules[\\/]svelte[\\/]/, priority: 2 },
									{ name: 'live-feeds', test: /node_modules[\\/]live-feeds[\\/]/, priority: 1 }
								]
							}
						}
					}
				: undefined
		}
	});
	return measureOutput(outDir);
}

const EMPTY_APP = '<main></main>\n';
const TICKER_APP =
	"<script>\n\timport { StockTicker } from 'live-feeds';\n</script>\n\n<main><StockTicker /></main>\n";

export async function measureStockTicker() {
	const dir = mkdtempSync(path.join(os.tmpdir(), 'live-feeds-size-'));
	try {
		installPacked(dir);
		const empty = await buildApp(dir, 'empty', EMPTY_APP);
		const ticker = await buildApp(dir, 'stock-ticker', TICKER_APP);
		const split = await buildApp(dir, 'stock-ticker-split', TICKER_APP, true);
		const emptySplit = await buildApp(dir, 'empty-split', EMPTY_APP, true);
		const delta = {
			jsGzip: ticker.jsGzip - empty.jsGzip,
			cssGzip: ticker.cssGzip - empty.cssGzip,
			totalGzip: ticker.jsGzip + ticker.cssGzip - empty.jsGzip - empty.cssGzip
		};
		return {
			emptyApp: empty,
			withStockTicker: ticker,
			delta,
			// Where the delta comes from: the package's own code, and the parts of Svelte's runtime
			// (each, if, snippets, stores, …) an empty app does not need but the widget does.
			breakdown: {
				packageJsGzip: split.chunks['live-feeds'] ?? 0,
				packageCssGzip: split.cssGzip,
				svelteRuntimeGrowthGzip: (split.chunks.svelte ?? 0) - (emptySplit.chunks.svelte ?? 0)
			},
			targetBytes: TARGETS.stockTickerBytes,
			withinTarget: delta.totalGzip <= TARGETS.stockTickerBytes
		};
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}

/**
 * The HTML of `/` from the built server, started on a free port and stopped by PID.
 * @param {string} pagePath
 */
async function fetchBuiltPage(pagePath) {
	if (!existsSync(path.join(ROOT, 'build', 'index.js'))) {
		throw new Error('build/index.js is missing: run `npm run build` first');
	}
	const port = /** @type {number} */ (await freePort());
	const child = spawn(process.execPath, ['build/index.js'], {
		cwd: ROOT,
		env: { ...process.env, HOST: '127.0.0.1', PORT: String(port) },
		stdio: 'ignore'
	});
	trackChild(child);
	try {
		const deadline = Date.now() + 30_000;
		for (;;) {
			try {
				const response = await fetch(`http://127.0.0.1:${port}${pagePath}`);
				return { html: await response.text(), link: response.headers.get('link') ?? '' };
			} catch (error) {
				if (Date.now() > deadline || child.exitCode !== null) throw error;
				await new Promise((resolve) => setTimeout(resolve, 200));
			}
		}
	} finally {
		child.kill('SIGTERM');
		const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
		if (child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve));
		clearTimeout(timer);
	}
}

/**
 * The scripts and styles a SvelteKit page loads before it is interactive. With adapter-node the
 * preloads come in the `Link` header rather than as `<link>` tags; both are read.
 * @param {string} html
 * @param {string} [link] the response's `Link` header
 */
export function initialAssets(html, link = '') {
	const js = new Set();
	const css = new Set();
	for (const entry of link.split(/,(?=\s*<)/)) {
		const href = /<([^>]+)>/.exec(entry)?.[1];
		if (!href) continue;
		if (/rel="?modulepreload"?/.test(entry)) js.add(href);
		else if (/as="?style"?/.test(entry)) css.add(href);
	}
	for (const [tag] of html.matchAll(/<link\b[^>]*>/g)) {
		const href = /href="([^"]+)"/.exec(tag)?.[1];
		if (!href) continue;
		if (/rel="modulepreload"/.test(tag)) js.add(href);
		else if (/rel="stylesheet"/.test(tag)) css.add(href);
	}
	// The entry points are started by an inline script: import("…/start.js"), import("…/app.js").
	for (const [, src] of html.matchAll(/import\(\s*"([^"]+\.js)"\s*\)/g)) js.add(src);
	for (const [, src] of html.matchAll(/<script\b[^>]*\bsrc="([^"]+\.js)"/g)) js.add(src);
	return { js: [...js], css: [...css] };
}

/**
 * Resolves an asset URL of the page to its file in build/client.
 * @param {string} href
 */
function clientFile(href) {
	const pathname = new URL(href, 'http://x/').pathname;
	return path.join(ROOT, 'build', 'client', pathname);
}

export async function measureDashboard(pagePath = '/') {
	const { html, link } = await fetchBuiltPage(pagePath);
	const assets = initialAssets(html, link);
	if (assets.js.length === 0) throw new Error(`no scripts found in the HTML of ${pagePath}`);
	const files = assets.js.map((href) => {
		const content = readFileSync(clientFile(href));
		return { file: href, raw: content.byteLength, gzip: gzipSize(content) };
	});
	const cssGzip = assets.css.reduce(
		(sum, href) => sum + gzipSize(readFileSync(clientFile(href))),
		0
	);
	const jsGzip = files.reduce((sum, file) => sum + file.gzip, 0);
	return {
		page: pagePath,
		jsGzip,
		cssGzip,
		files: files.sort((a, b) => b.gzip - a.gzip),
		targetBytes: TARGETS.dashboardJsBytes,
		withinTarget: jsGzip <= TARGETS.dashboardJsBytes
	};
}

async function main() {
	const args = process.argv.slice(2);
	const strict = args.includes('--strict');
	const out = args.find((arg) => !arg.startsWith('--'));
	const result = {
		measuredAt: new Date().toISOString(),
		node: process.version,
		gzip: 'node:zlib gzip, default level (as Vite reports it)',
		stockTicker: await measureStockTicker(),
		dashboard: await measureDashboard()
	};
	const json = JSON.stringify(result, null, 2);
	process.stdout.write(json + '\n');
	if (out) writeFileSync(path.resolve(out), json + '\n');
	const fmt = (/** @type {number} */ bytes) => `${(bytes / KB).toFixed(2)} KB`;
	process.stderr.write(
		`StockTicker adds ${fmt(result.stockTicker.delta.totalGzip)} gzip (JS ${fmt(result.stockTicker.delta.jsGzip)}, CSS ${fmt(result.stockTicker.delta.cssGzip)}; target ${fmt(TARGETS.stockTickerBytes)})\n` +
			`Dashboard initial JS: ${fmt(result.dashboard.jsGzip)} gzip in ${result.dashboard.files.length} files (target ${fmt(TARGETS.dashboardJsBytes)})\n`
	);
	if (strict && !(result.stockTicker.withinTarget && result.dashboard.withinTarget))
		process.exit(1);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
	await main();
}
